"""Point smoke detector: noisy baseline (smoke-iot quiet segment), slow chamber drift, room
temperature with a daily cycle, device-side alarms, and injected fire/smoke/fault windows."""

from __future__ import annotations

import math
import random

from events.readings import DeviceAlarm, DeviceAlarmType, SmokeAlarmState, SmokeReading
from events.topics import Channel
from simulators.calibration import Calibration, interpolate
from simulators.devices.base import FAST_INTERVAL_S, DeviceModel, Intervals, Out
from simulators.fleet import DeviceSpec

# Device thresholds: type A detectors respond from 0.05 dB/m (GB 4715-2024 §5.7); a typical
# residential detector alarms around 0.2 dB/m and pre-alarms at about half of that.
PRE_ALARM_DB_PER_M = 0.1
ALARM_DB_PER_M = 0.2
# Heat: class A1 static response 54-65 C (EN 54-5 / GB 4716-2005); device alarms at 57 C.
HEAT_ALARM_C = 57.0
# Flaming-fire smoke model: the UL FSRI tests carry temperature only, so obscuration is modelled
# as proportional to the ceiling temperature rise (a model, not data), with CO likewise.
OBSCURATION_PER_C = 0.05
CO_PPM_PER_C = 6.0
SECONDS_PER_DAY = 86_400.0


class SmokeDetector(DeviceModel):
    def __init__(
        self, spec: DeviceSpec, rng: random.Random, cal: Calibration, intervals: Intervals
    ) -> None:
        super().__init__(spec, rng, cal, intervals)
        self.base_db_per_m = rng.uniform(0.006, 0.014)
        # A dirty chamber drifts up by up to ~0.02 dB/m a year (DOMAIN.md §6).
        self.drift_db_per_m_per_s = rng.uniform(0.0, 0.02) / (365 * SECONDS_PER_DAY)
        self.room_c = rng.uniform(18.0, 26.0)
        self.walk_c = 0.0
        self.last_t_s = 0.0
        self.alarms: set[DeviceAlarmType] = set()
        self.frozen: tuple[float, float] | None = None

    def telemetry_interval_s(self, t_s: float) -> float:
        busy = any(self.active(n, t_s) for n in ("fire", "smoke", "shape"))
        return FAST_INTERVAL_S if busy else self.intervals.smoke_s

    def _baseline(self, t_s: float) -> tuple[float, float]:
        dt_s = max(0.0, t_s - self.last_t_s)
        self.last_t_s = t_s
        # Ornstein-Uhlenbeck walk with the step noise of the smoke-iot quiet segment.
        self.walk_c += -self.walk_c * min(1.0, dt_s / 3600.0) + self.rng.gauss(
            0.0, self.cal.temp_step_c_std * math.sqrt(dt_s)
        )
        daily_c = 1.5 * math.sin(2 * math.pi * (t_s % SECONDS_PER_DAY) / SECONDS_PER_DAY)
        base = self.base_db_per_m + self.drift_db_per_m_per_s * t_s
        obsc = max(0.0, base * (1.0 + self.rng.gauss(0.0, self.cal.smoke_rel_std)))
        return obsc, self.room_c + daily_c + self.walk_c

    def _overlays(self, t_s: float) -> tuple[float, float, float]:
        d_obsc = d_temp = co = 0.0
        fire = self.active("fire", t_s)
        if fire:  # UL FSRI ceiling temperature rise; ignition = window start
            rise_c = max(0.0, interpolate(fire.params["curve"], t_s - fire.start_s))
            d_temp += rise_c * float(fire.params.get("scale", 1.0))
            d_obsc += rise_c * OBSCURATION_PER_C
            co += rise_c * CO_PPM_PER_C
        for name in ("smoke", "shape"):
            w = self.active(name, t_s)
            if w:
                frac = float(interpolate(w.params["curve"], t_s - w.start_s))
                d_obsc += frac * float(w.params["peak_db_per_m"])
                d_temp += frac * float(w.params.get("peak_rise_c", 0.0))
                co += frac * float(w.params.get("peak_co_ppm", 0.0))
        return d_obsc, d_temp, co

    def telemetry(self, t_s: float) -> list[Out]:
        obsc, temp_c = self._baseline(t_s)
        d_obsc, d_temp, co = self._overlays(t_s)
        obsc, temp_c = min(30.0, obsc + d_obsc), min(1200.0, temp_c + d_temp)
        co += abs(self.rng.gauss(0.0, 1.0))
        if self.active("stuck", t_s):
            self.frozen = self.frozen or (obsc, temp_c)
            obsc, temp_c = self.frozen
        else:
            self.frozen = None
        state = SmokeAlarmState.NORMAL
        if obsc >= ALARM_DB_PER_M:
            state = SmokeAlarmState.ALARM
        elif obsc >= PRE_ALARM_DB_PER_M:
            state = SmokeAlarmState.PRE_ALARM
        tampered = self.active("tamper", t_s) is not None
        fields = {
            "obscuration_db_per_m": round(obsc, 4),
            "temperature_c": round(temp_c, 2),
            "co_ppm": round(co, 1),
            "battery_pct": self.battery(t_s),
            "is_tampered": tampered,
            "alarm_state": state,
        }
        out = [Out(Channel.TELEMETRY, SmokeReading, fields)]
        out += self._alarm(DeviceAlarmType.SMOKE, obsc >= ALARM_DB_PER_M, obsc)
        out += self._alarm(DeviceAlarmType.HEAT, temp_c >= HEAT_ALARM_C, temp_c)
        out += self._alarm(DeviceAlarmType.TAMPER, tampered, None)
        return out

    def _alarm(self, kind: DeviceAlarmType, is_on: bool, value: float | None) -> list[Out]:
        """Edge-triggered device-side alarm: one message when it starts, one when it ends."""
        if is_on == (kind in self.alarms):
            return []
        if is_on:
            self.alarms.add(kind)
        else:
            self.alarms.discard(kind)
        rounded = None if value is None else round(value, 3)
        fields = {"alarm_type": kind, "is_active": is_on, "value": rounded}
        return [Out(Channel.ALARM, DeviceAlarm, fields)]
