"""One port of a centralised e-bike charging station.

Sessions arrive at hours drawn from the Norwegian garage data, take an energy drawn from the same
data (scaled from cars to e-bike packs), charge constant current then constant voltage with an
exponential taper, report "full", and stay plugged in for an idle time drawn from the ACN data.
The socket temperature follows power with a first-order lag. The port reports the pack's
voltage (the charger measures it) and its compartment's off-gas (H2, CO, VOC: sensor noise
when nothing vents). Injected: thermal runaway (ARC curves: self-heating, off-gas, venting, a
cell shorting and its neighbours following, simulators.devices.battery), power after full, an
over-long charge; commands cut and restore power unless the relay is stuck.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from events.alerts import LinkageAction
from events.readings import ChargingPortReading, DeviceAlarm, DeviceAlarmType, PortState, RelayState
from events.topics import Channel
from simulators.calibration import Calibration, sample_quantiles
from simulators.devices.base import FAST_INTERVAL_S, DeviceModel, Intervals, Out
from simulators.devices.battery import (
    SENSOR_MAX_PPM,
    Compartment,
    RunawayCurves,
    onset_s,
    pack_voltage_v,
)
from simulators.fleet import DeviceSpec

# E-bike pack: 48 V nominal, 54.6 V at the end of charge (13 cells x 4.2 V); <= 60 V by
# GB 43854-2024. Packs hold 0.4-1 kWh, cars 10x-80x more: the car energies are scaled down.
V_START, V_CV = 46.0, 54.6
CAR_TO_EBIKE_ENERGY = 0.06
CC_FRACTION = 0.85  # share of the session energy delivered at constant current
FULL_CURRENT_FRACTION = 0.1  # taper ends (state "full") at 10 % of the CC current
STANDBY_W = 1.5  # a charger left on a full pack draws a few watts (vendor practice, U)
SOCKET_C_PER_W = 0.02  # 1 kW port -> +20 C above ambient in steady state (vendor practice, U)
SOCKET_TAU_S = 300.0
OVER_TEMP_ALARM_C = 70.0
# Off-gas sensor noise with nothing venting (ppm, one sigma; cross-sensitivity) (U).
GAS_NOISE_PPM = {"h2_ppm": 1.5, "co_ppm": 1.0, "voc_ppm": 0.3}


@dataclass
class Session:
    session_id: str
    start_s: float
    cc_current_a: float
    cc_end_s: float
    tau_s: float
    full_s: float
    unplug_s: float
    cc_energy_wh: float


class ChargingPort(DeviceModel):
    def __init__(
        self, spec: DeviceSpec, rng: random.Random, cal: Calibration, intervals: Intervals
    ) -> None:
        super().__init__(spec, rng, cal, intervals)
        self.ambient_c = rng.uniform(18.0, 30.0)
        self.socket_c = self.ambient_c
        self.last_t_s = 0.0
        self.relay_on = True
        self.session: Session | None = None
        self.count = 0
        self.next_arrival_s = self._next_arrival(0.0, first=True)
        self.over_temp = False
        self.curves = RunawayCurves.of(cal)
        self.compartment = Compartment()

    # --- sessions ------------------------------------------------------------------------
    def _next_arrival(self, t_s: float, first: bool = False) -> float:
        weights = self.cal.arrival_hour_weights
        hour = self.rng.choices(range(24), weights=weights)[0]
        day_s = t_s - t_s % 86_400.0
        at_s = day_s + hour * 3600.0 + self.rng.uniform(0.0, 3600.0)
        while at_s < t_s + (0.0 if first else 1800.0):
            at_s += 86_400.0
        return at_s

    def start_session(
        self, t_s: float, energy_wh: float | None = None, cc_a: float | None = None
    ) -> None:
        if energy_wh is None:
            kwh = sample_quantiles(self.rng, self.cal.energy_kwh)
            energy_wh = min(900.0, max(40.0, kwh * 1000.0 * CAR_TO_EBIKE_ENERGY))
        cc_a = cc_a or self.rng.choice((2.0, 3.0, 4.0, 5.0))
        cc_wh = energy_wh * CC_FRACTION
        cc_s = cc_wh / ((V_START + V_CV) / 2 * cc_a) * 3600.0
        tau_s = energy_wh * (1 - CC_FRACTION) / (V_CV * cc_a) * 3600.0
        full_s = t_s + cc_s + tau_s * math.log(1 / FULL_CURRENT_FRACTION)
        idle_s = sample_quantiles(self.rng, self.cal.idle_after_full_h) * 3600.0
        self.count += 1
        self.session = Session(
            f"{self.spec.device_id}-s{self.count}",
            t_s,
            cc_a,
            t_s + cc_s,
            tau_s,
            full_s,
            full_s + min(idle_s, 12 * 3600.0),
            cc_wh,
        )

    def internal_due_s(self) -> float:
        return self.session.unplug_s if self.session else self.next_arrival_s

    def internal(self, t_s: float) -> list[Out]:
        if self.session is None and t_s >= self.next_arrival_s and self.relay_on:
            self.start_session(t_s)
            self.next_tel_s = t_s  # report the plug-in at once
        elif self.session and t_s >= self.session.unplug_s and not self.active("runaway", t_s):
            self.session = None
            self.next_arrival_s = self._next_arrival(t_s)
            self.next_tel_s = t_s
        return []

    def telemetry_interval_s(self, t_s: float) -> float:
        if self.active("runaway", t_s):
            return FAST_INTERVAL_S / 5  # 1 s: the runaway phase lasts ~15 s (ARC curves)
        return self.intervals.port_charging_s if self.session else self.intervals.port_idle_s

    def force_session(self, t_s: float, duration_s: float, cc_a: float = 1.5) -> None:
        """A session that charges for `duration_s` (a worn pack or a weak charger)."""
        self.count += 1
        cc_s = duration_s * 0.95
        tau_s = duration_s * 0.05 / math.log(1 / FULL_CURRENT_FRACTION)
        cc_wh = cc_a * (V_START + V_CV) / 2 * cc_s / 3600.0
        self.session = Session(
            f"{self.spec.device_id}-s{self.count}",
            t_s,
            cc_a,
            t_s + cc_s,
            tau_s,
            t_s + duration_s,
            t_s + duration_s + 3600.0,
            cc_wh,
        )
        self.next_tel_s = t_s

    def perform(self, name: str, t_s: float, params: dict[str, Any]) -> list[Out]:
        if name == "session":
            self.force_session(t_s, float(params["duration_s"]), float(params.get("cc_a", 1.5)))
            return []
        return super().perform(name, t_s, params)

    # --- physics -------------------------------------------------------------------------
    def _electrical(self, t_s: float) -> tuple[float, float, PortState, float]:
        """(voltage_v, current_a, port_state, energy_wh) of the session at t."""
        s = self.session
        if s is None:
            return 0.0, 0.0, PortState.IDLE, 0.0
        if t_s < s.cc_end_s:
            frac = (t_s - s.start_s) / (s.cc_end_s - s.start_s)
            volts = V_START + (V_CV - V_START) * frac
            mean_v = V_START + 0.5 * (V_CV - V_START) * frac
            return (
                volts,
                s.cc_current_a,
                PortState.CHARGING,
                s.cc_current_a * mean_v * (t_s - s.start_s) / 3600.0,
            )
        x_s = min(t_s, s.full_s) - s.cc_end_s
        energy = (
            s.cc_energy_wh
            + V_CV * s.cc_current_a * s.tau_s * (1 - math.exp(-x_s / s.tau_s)) / 3600.0
        )
        if t_s < s.full_s:
            return V_CV, s.cc_current_a * math.exp(-x_s / s.tau_s), PortState.CHARGING, energy
        after = self.active("after_full", t_s)
        watts = float(after.params["power_w"]) if after else STANDBY_W
        return V_CV, watts / V_CV, PortState.FULL, energy

    def _runaway_curve_s(self, t_s: float) -> float | None:
        """Time on the ARC curves (0 = runaway onset) of an injected runaway, or None."""
        w = self.active("runaway", t_s)
        if w is None:
            return None
        return self.curves.curve_time(t_s - w.start_s, float(w.params["preheat_s"]))

    def runaway_onset_at_s(self) -> float | None:
        """Simulated time the injected runaway vents or shorts a cell (ground truth)."""
        for w in self.windows.get("runaway", ()):
            return w.start_s + float(w.params["preheat_s"]) + onset_s(self.curves)
        return None

    def _runaway_c(self, t_s: float, curve_s: float) -> float:
        w = self.active("runaway", t_s)
        assert w is not None
        base_c = float(w.params.setdefault("base_c", self.socket_c))
        return base_c + self.curves.cell_c(curve_s) - self.curves.front_c[0][1]

    def _gas(self, t_s: float, curve_s: float | None) -> dict[str, float]:
        rate = 0.0 if curve_s is None else self.curves.gas_rate_mol_per_s(curve_s)
        self.compartment.step(t_s, rate)
        return {
            name: round(min(SENSOR_MAX_PPM, ppm + abs(self.rng.gauss(0.0, GAS_NOISE_PPM[name]))), 1)
            for name, ppm in self.compartment.ppm().items()
        }

    def telemetry(self, t_s: float) -> list[Out]:
        volts, amps, state, energy = self._electrical(t_s)
        # The charger measures the pack while it is powered and a pack is connected.
        pack_v = volts if self.session and self.relay_on and volts > 0 else None
        if not self.relay_on:
            volts, amps, state = 0.0, 0.0, PortState.IDLE
        curve_s = self._runaway_curve_s(t_s)
        leakage_ma = abs(self.rng.gauss(1.0, 0.4))
        since_short_s = -1.0 if curve_s is None else curve_s - self.curves.jump_s()
        if since_short_s >= 0:
            # A cell shorts as the temperature jumps; its neighbours follow one by one.
            if pack_v is not None:
                pack_v = volts = pack_voltage_v(pack_v, since_short_s)
            amps, state, leakage_ma = 0.0, PortState.FAULT, leakage_ma + 40.0
        power_w = volts * amps
        dt_s = max(0.0, t_s - self.last_t_s)
        self.last_t_s = t_s
        target_c = self.ambient_c + SOCKET_C_PER_W * power_w
        self.socket_c += (target_c - self.socket_c) * (1 - math.exp(-dt_s / SOCKET_TAU_S))
        if curve_s is not None:
            self.socket_c = self._runaway_c(t_s, curve_s)
        fields = {
            "station_id": self.spec.station_id or self.spec.device_id,
            "port_no": self.spec.port_no or 0,
            "voltage_v": round(volts, 2),
            "current_a": round(amps, 3),
            "power_w": round(power_w, 1),
            "energy_wh": round(energy, 1),
            "socket_temp_c": round(self.socket_c + self.rng.gauss(0.0, 0.05), 2),
            "leakage_ma": round(leakage_ma, 2),
            "port_state": state,
            "relay_state": RelayState.ON if self.relay_on else RelayState.OFF,
            "session_id": self.session.session_id if self.session else None,
            "pack_voltage_v": None if pack_v is None else round(pack_v, 2),
            **self._gas(t_s, curve_s),
        }
        out = [Out(Channel.TELEMETRY, ChargingPortReading, fields)]
        is_hot = self.socket_c >= OVER_TEMP_ALARM_C
        if is_hot != self.over_temp:
            self.over_temp = is_hot
            alarm = {
                "alarm_type": DeviceAlarmType.OVER_TEMPERATURE,
                "is_active": is_hot,
                "value": round(self.socket_c, 2),
            }
            out.append(Out(Channel.ALARM, DeviceAlarm, alarm))
        return out

    def on_command(self, action: LinkageAction, t_s: float) -> list[Out]:
        if action not in (LinkageAction.CUT_POWER, LinkageAction.RESTORE_POWER):
            return []
        # A welded relay keeps conducting and keeps reporting "on": read-back must catch it.
        if "stuck_relay" not in self.spec.faults:
            self.relay_on = action is LinkageAction.RESTORE_POWER
        return self.telemetry(t_s)  # immediate read-back
