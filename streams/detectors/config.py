"""Detector thresholds: one frozen settings model, every number next to its DOMAIN.md source.

"(U)" marks a number DOMAIN.md calls unverified or vendor practice: configuration, not truth.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SmokeSettings(_Frozen):
    # GB 4715-2024 §5.7: a type A point detector responds at m >= 0.05 dB/m.
    pre_alarm_db_per_m: float = Field(default=0.05, gt=0)
    # Smoke alone confirms only when dense (type B m_min 0.15 dB/m x ~3, (U)): cooking smoke
    # (UL 217 8th ed. broiling-hamburger test) stays a pre-alarm unless heat or CO agree.
    smoke_only_confirm_db_per_m: float = Field(default=0.5, gt=0)
    # NFPA 72 / UL 864 alarm verification: pre-alarm, then confirm within a 60 s window.
    verification_window_s: float = Field(default=60.0, gt=0)
    # Multi-criteria (Gottuk 2002; Cestari 2005): smoke with CO or a heat rise is a fire.
    co_confirm_ppm: float = Field(default=30.0, gt=0)  # (U) residential CO alarm onset region
    heat_confirm_rise_c: float = Field(default=5.0, gt=0)  # (U) above the device's baseline
    # EN 54-5 / GB 4716-2005 class A1: static response 54-65 C; the band's lower edge.
    fixed_temperature_c: float = Field(default=54.0, ge=54.0, le=65.0)
    # EN 54-5 class R: rate-of-rise, vendor practice about 8.3-9 C/min (15 F/min) (S).
    rate_of_rise_c_per_min: float = Field(default=8.3, gt=0)
    rate_of_rise_window_s: float = Field(default=60.0, gt=0)  # rise measured over this span
    # A heat element has thermal mass: EN 54-5 response-time classes imply a lag of tens of
    # seconds (U). Smoothing with it keeps a noisy thermocouple (the UL FSRI living room swings
    # 7-31 C before ignition) from faking a rise.
    thermal_time_constant_s: float = Field(default=20.0, ge=0)
    # Baseline follows slow ambient drift only (dirty chamber, season): exponential weight.
    baseline_weight: float = Field(default=0.02, gt=0, le=1)


class ChargingSettings(_Frozen):
    # Per-port limits are vendor practice, about 1 kW per port (DOMAIN.md §4) (U).
    over_current_a: float = Field(default=5.0, gt=0)
    over_power_w: float = Field(default=1000.0, gt=0)
    # BMS charging over-temperature default 55 C with a 2 s delay (TI BQ76942 defaults, V).
    socket_over_temp_c: float = Field(default=55.0, gt=0)
    over_temp_delay_s: float = Field(default=2.0, ge=0)
    # Residual current: typical 30 mA per circuit (RCD practice, U); 300-500 mA distribution.
    leakage_ma: float = Field(default=30.0, gt=0)
    # "Full" = power below 10-40 W for several minutes (vendor practice, U).
    full_power_w: float = Field(default=40.0, gt=0)
    power_after_full_s: float = Field(default=300.0, gt=0)
    # Beijing group standard 2021: maximum charge duration 8 h.
    max_charge_s: float = Field(default=8 * 3600.0, gt=0)
    # Precursor: slow climb while charging (U). Normal 1C-2C cells rise <= 9.2 C in 10 min
    # (samsung30q-electrothermal), so 12 C / 10 min leaves a margin.
    climb_rise_c: float = Field(default=12.0, gt=0)
    climb_window_s: float = Field(default=600.0, gt=0)
    # Thermal runaway: dT/dt >= 1 C/s for >= 3 s with voltage drop > 25 % or temperature >=
    # the maker's maximum (GB 38031-style test appendix, DOMAIN.md §4).
    runaway_rate_c_per_s: float = Field(default=1.0, gt=0)
    runaway_duration_s: float = Field(default=3.0, gt=0)
    runaway_voltage_drop_frac: float = Field(default=0.25, gt=0, lt=1)
    maker_max_temp_c: float = Field(default=120.0, gt=0)  # (U) per maker; configurable


class DoorSettings(_Frozen):
    # Door held open: vendor defaults 10-30 s to alarm; about 1 min = fault (DOMAIN.md §5).
    held_open_warning_s: float = Field(default=30.0, gt=0)
    held_open_fault_s: float = Field(default=60.0, gt=0)


class HealthSettings(_Frozen):
    # GB/T 28181 precedent: 60 s heartbeat, offline after 3 misses (S).
    default_heartbeat_s: float = Field(default=60.0, gt=0)
    missed_heartbeats: int = Field(default=3, ge=1)
    # A device going silent waits this long for its gateway's outage to explain it, so a
    # gateway outage is one alert, not hundreds (DOMAIN.md §6).
    gateway_grace_s: float = Field(default=30.0, ge=0)
    low_battery_pct: float = Field(default=20.0, ge=0, le=100)  # (U) vendor practice
    stuck_min_readings: int = Field(default=120, ge=2)  # (U)
    stuck_min_duration_s: float = Field(default=3600.0, gt=0)  # (U)
    clock_skew_s: float = Field(default=120.0, gt=0)  # (U)
    # GB 50440 O&M: a device with > 5 false alarms a day must get a handling plan.
    false_alarms_per_day: int = Field(default=5, ge=1)
    test_mode_max_s: float = Field(default=3600.0, gt=0)  # (U)
    # A gap reported by ingest is a loss only if no late arrival heals it meanwhile (U).
    sequence_gap_grace_s: float = Field(default=60.0, ge=0)


class AreaSettings(_Frozen):
    # GB 50116-2013 §4.1.6: AND of two independent alarm devices confirms; NFPA 72 window.
    two_detector_window_s: float = Field(default=60.0, gt=0)


class DetectorSettings(_Frozen):
    smoke: SmokeSettings = SmokeSettings()
    charging: ChargingSettings = ChargingSettings()
    doors: DoorSettings = DoorSettings()
    health: HealthSettings = HealthSettings()
    area: AreaSettings = AreaSettings()
