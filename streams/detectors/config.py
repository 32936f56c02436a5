"""Detector thresholds: one frozen settings model, every number next to its DOMAIN.md source.

"(U)" marks a number DOMAIN.md calls unverified or vendor practice: configuration, not truth.
"""

from __future__ import annotations

from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

M = TypeVar("M", bound=BaseModel)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Values:
    """A settings model's field values as plain attributes (plain_view)."""


def plain_view(model: M) -> M:
    """The model's field values as plain attributes, for reading only, typed as the model.

    The detectors read their settings for every reading (about 40 reads a smoke reading), and
    a pydantic model's attribute goes through BaseModel's __getattr__ hook: ~25 ns more a read
    than a plain attribute (docs/PERFORMANCE.md, "Worker", third pass). The models are frozen,
    so a copy of their values cannot go stale. Only field reads: no model methods on a view.
    """
    view = _Values()
    view.__dict__.update(model.__dict__)  # pydantic keeps the validated field values there
    return cast(M, view)  # duck-typed: the same field names, read-only by convention


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
    # --- Heat (docs/DETECTION.md has the method and the measured latencies) ---
    # EN 54-5 / GB 4716-2005 class A1: static response 54-65 C; the band's lower edge. The raw
    # reading is compared: these are sensor temperatures, not a heat element's (no lag).
    fixed_temperature_c: float = Field(default=54.0, ge=54.0, le=65.0)
    # EN 54-5 / GB 4716 suffix R, UL 521 / NFPA 72 rate-of-rise practice: 15 F/min = 8.3 C/min.
    rate_of_rise_c_per_min: float = Field(default=8.3, gt=0)
    # The rate is a least-squares slope over this window, never over fewer than the last two
    # readings: 10 s was the fastest window with no false alarm on the eight UL FSRI tests at
    # 1-30 s reporting (docs/DETECTION.md). A rate needs a real rise too (U).
    rate_window_s: float = Field(default=10.0, gt=0)
    rate_max_span_s: float = Field(default=120.0, gt=0)  # two readings further apart: a gap
    rate_min_rise_c: float = Field(default=1.5, gt=0)
    # A rise must stand out of the sensor's own noise by this many sigmas (U, measured: 6 was
    # the lowest with no pre-ignition alarm, docs/DETECTION.md).
    noise_z: float = Field(default=6.0, gt=0)
    # Noise and baseline learn with this time constant: slow ambient drift (season, heating,
    # a dirty chamber) is followed; a fire's rise is not.
    noise_time_constant_s: float = Field(default=300.0, gt=0)
    noise_lag_s: float = Field(default=2.0, ge=0)  # noise measured over at least this span
    # No rate or rise is judged before the noise is known: this many changes measured over at
    # least this long (a fresh device; the state survives restarts) (U).
    warm_up_readings: int = Field(default=3, ge=1)
    warm_up_s: float = Field(default=60.0, ge=0)
    # A rise over the baseline that confirms a fire only next to one already confirmed in the
    # same building (the panel's zone logic, GB 50116-2013 §3.3 zones by floor/compartment, S).
    heat_rise_c: float = Field(default=5.0, gt=0)  # (U)
    # ... and out of the noise by this many sigmas: a fire next door makes a rise here far
    # more likely than noise, so less evidence is asked than for an alarm on its own (U).
    heat_rise_z: float = Field(default=3.0, gt=0)
    # A step no fire makes at a ceiling: the UL FSRI fires rise at most 14 C/s and fall at
    # most 17 C/s between 2 s samples; a failed sensor jumps further (U). The reading is held
    # out of fire detection and the device's detection is marked degraded (sensor fault).
    sensor_jump_c: float = Field(default=60.0, gt=0)
    sensor_jump_c_per_s: float = Field(default=30.0, gt=0)
    # A jump fault clears only after this long without another jump (U).
    jump_fault_hold_s: float = Field(default=600.0, gt=0)


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
    # Hysteresis (issue #10.4: one runaway raised and cleared the climb over a hundred times):
    # it clears only below half the raise threshold, and never within the hold (U).
    climb_clear_rise_c: float = Field(default=6.0, gt=0)
    climb_min_hold_s: float = Field(default=600.0, ge=0)
    # Thermal runaway: dT/dt >= 1 C/s for >= 3 s with voltage drop > 25 % or temperature >=
    # the maker's maximum (GB 38031-style test appendix, DOMAIN.md §4).
    runaway_rate_c_per_s: float = Field(default=1.0, gt=0)
    runaway_duration_s: float = Field(default=3.0, gt=0)
    runaway_voltage_drop_frac: float = Field(default=0.25, gt=0, lt=1)
    maker_max_temp_c: float = Field(default=120.0, gt=0)  # (U) per maker; configurable
    # In a pack the 25 % is a cell-level figure: one shorted cell of a 13S 48 V e-bike pack
    # (GB 43854-2024: <= 60 V) drops it by 7.7 %. A step of this much within the window, the
    # pack still connected, is a cell collapsing (U).
    pack_cell_drop_frac: float = Field(default=0.05, gt=0, lt=1)
    pack_drop_window_s: float = Field(default=10.0, gt=0)
    # Battery off-gas (DOMAIN.md §4: H2 / CO / VOC rise minutes before runaway, S). Early: a
    # P2 warning. Electrolyte vapour (VOC) or CO are Li-ion signs; H2 alone is a lead-acid
    # pack gassing at the end of its charge (IEC 62485-2 ventilation, S), so it never raises
    # on its own (U, all levels). Cutting the port's power at the first off-gas (stop the
    # abuse early) moves every power cut earlier: a deployment's decision, off by default.
    offgas_voc_ppm: float = Field(default=10.0, gt=0)
    offgas_co_ppm: float = Field(default=50.0, gt=0)
    # Venting: a cell's vent opened. With the port's own heat or voltage sign it is a runaway
    # at once (P1): the gas stands in for the 3 s persistence of the GB 38031 criterion as an
    # independent second criterion (multi-criteria, DOMAIN.md §3).
    venting_voc_ppm: float = Field(default=500.0, gt=0)
    venting_co_ppm: float = Field(default=1000.0, gt=0)
    venting_h2_ppm: float = Field(default=2000.0, gt=0)
    offgas_clear_s: float = Field(default=300.0, ge=0)  # below the early levels this long
    offgas_cuts_power: bool = False


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
    # An out-of-range fault (a failed sensor, reported by ingest) clears after this long
    # without another out-of-range reading: the sensor was repaired or recovered (U).
    out_of_range_hold_s: float = Field(default=3600.0, gt=0)
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
