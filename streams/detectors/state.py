"""Per-device detector state: small, plain, JSON-serialisable (it is mirrored to a changelog).

Only non-default fields are serialised, so an idle device costs a few hundred bytes. Times are
epoch seconds: `*_obs_s` on the device clock (observed_at), `*_seen_s` on the worker clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from itertools import compress
from operator import attrgetter, ne
from typing import Any

from streams.conditions import Conditions, conditions_from, conditions_to


@dataclass(slots=True)
class DeviceState:
    device_id: str
    compound_id: str = ""
    gateway_id: str = ""
    building_id: str | None = None
    floor: int | None = None
    area_id: str | None = None
    kind: str = ""
    # Dedupe (at-least-once delivery, replays): the highest seq applied and its device time.
    last_seq: int = -1
    last_obs_s: float = 0.0
    # Bit i set = seq (last_seq - 1 - i) was applied: late (out-of-order) readings within
    # SEEN_WINDOW are accepted once, their replays dropped.
    seen_mask: int = 0
    # Silence (worker clock): the deadline is derived from these, so it survives a restart.
    last_seen_s: float = 0.0
    heartbeat_s: float = 0.0
    is_silent: bool = False
    # Conditions currently raised (AlertKind values): clears are sent once, on the edge.
    active: list[str] = field(default_factory=list)
    # Smoke / heat
    baseline_c: float | None = None
    heat_samples: list[list[float]] = field(default_factory=list)  # [t_s, temp_c] window
    noise_c: float | None = None  # mean absolute change of the reading (streams.detectors.heat)
    noise_ref: list[float] | None = None  # [t_s, temp_c] the next change is measured from
    noise_n: int = 0
    noise_since_s: float | None = None  # first reading of the noise estimate (warm-up)
    is_heat_rising: bool = False  # last HEAT_RISE signal sent (edges only)
    # Sensor faults (reason -> since, device time): the detection is degraded meanwhile.
    faults: dict[str, float] = field(default_factory=dict)
    trusted_c: list[float] | None = None  # [t_s, temp_c] of the last plausible reading
    fault_due_s: float | None = None  # worker clock: an out-of-range fault ends unless renewed
    fault_seqs: list[int] = field(default_factory=list)  # dead-lettered seqs: no gap
    pre_alarm_since_s: float | None = None
    fire_level: str = "none"
    false_alarms_s: list[float] = field(default_factory=list)
    # Charging port
    is_charging: bool = False
    charge_start_s: float | None = None
    full_power_since_s: float | None = None
    over_temp_since_s: float | None = None
    session_voltage_v: float | None = None
    prev_temp: list[float] | None = None
    rise_since_s: float | None = None
    climb_samples: list[list[float]] = field(default_factory=list)
    # The lowest temperature of climb_samples, kept while they do not change (a minute at a
    # time): a scan of them was a tenth of every port reading. Derived, so not serialised
    # (None: recomputed from the samples, as after a restart) and not compared.
    climb_low_c: float | None = field(default=None, compare=False, repr=False)
    climb_since_s: float | None = None  # the climb P2 was raised (hysteresis hold)
    pack_v_recent: list[list[float]] = field(default_factory=list)  # [t_s, pack V], 10 s
    offgas_low_since_s: float | None = None  # off-gas below the early levels since
    # Door
    door_type: str = ""
    door_open_since_s: float | None = None
    door_stage: str = ""  # fire door held open: "", "warning", "fault"
    are_locks_released: bool = False
    # Health
    stuck_value: float | None = None
    stuck_count: int = 0
    stuck_since_s: float | None = None
    test_mode_since_s: float | None = None
    gap_missing: int = 0
    gap_due_s: float | None = None
    gap_event_id: str = ""
    # This device's conditions by condition key (streams.conditions owns the shape).
    conditions: Conditions = field(default_factory=dict)

    def accept_seq(self, seq: int, obs_s: float) -> bool:
        """Record `seq` as applied; False when it was applied before (a duplicate/replay)."""
        last_seq = self.last_seq
        if seq > last_seq or (seq < last_seq - SEEN_WINDOW and obs_s > self.last_obs_s):
            # Newer, or far behind but newer in time: the device restarted its counter.
            shift = seq - last_seq
            if 0 < shift <= SEEN_WINDOW and last_seq >= 0:
                self.seen_mask = ((self.seen_mask << shift) | (1 << (shift - 1))) & _MASK
            else:
                self.seen_mask = 0
            self.last_seq = seq
            self.last_obs_s = max(obs_s, self.last_obs_s)
            return True
        back = last_seq - 1 - seq
        if seq == last_seq or back >= SEEN_WINDOW or self.seen_mask >> back & 1:
            return False
        self.seen_mask |= 1 << back
        return True

    def is_active(self, kind: str) -> bool:
        return kind in self.active

    def set_active(self, kind: str, is_now: bool) -> bool:
        """Record a condition's state; True when it changed (an edge worth a finding)."""
        was = kind in self.active
        if is_now and not was:
            self.active.append(kind)
        elif was and not is_now:
            self.active.remove(kind)
        return was != is_now

    def to_dict(self) -> dict[str, Any]:
        # Every field read and compared with its default in C (attrgetter, map, compress): a
        # Python loop of getattr over fifty fields was a third of the worker's cost per state
        # write, and every reading of a device that reports slower than the flush is one.
        values = _GET_VALUES(self)
        changed = compress(
            zip(_DEFAULT_NAMES, values, strict=True), map(ne, values, _DEFAULT_VALUES)
        )
        out: dict[str, Any] = {"device_id": self.device_id}
        out.update(changed)
        if self.conditions:
            out["conditions"] = conditions_to(self.conditions)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceState:
        # Unknown keys are dropped: v1 "incidents" records too (docs/UPGRADING.md).
        known = {k: v for k, v in data.items() if k in _NAMES}
        if "conditions" in known:
            known["conditions"] = conditions_from(known["conditions"])
        return cls(**known)


SEEN_WINDOW = 64
_MASK = (1 << SEEN_WINDOW) - 1
_NAMES = frozenset(f.name for f in fields(DeviceState))


def _default_values() -> dict[str, Any]:
    probe = DeviceState(device_id="")
    # Conditions are typed records (serialised apart); climb_low_c is derived (not stored).
    skip = ("device_id", "conditions", "climb_low_c")
    return {f.name: getattr(probe, f.name) for f in fields(DeviceState) if f.name not in skip}


_DEFAULTS: dict[str, Any] = _default_values()
_DEFAULT_NAMES = tuple(_DEFAULTS)
_DEFAULT_VALUES = tuple(_DEFAULTS.values())
_GET_VALUES = attrgetter(*_DEFAULT_NAMES)
