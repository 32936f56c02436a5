"""What every device model shares: timers, heartbeats, injected overlays, clock skew.

A model never builds ids, seq or timestamps: it returns `Out` items (channel, model class,
fields); the engine stamps the envelope. `next_due_s()` says when the model next wants to run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from events.alerts import LinkageAction
from events.readings import Heartbeat
from events.topics import Channel
from simulators.calibration import Calibration
from simulators.fleet import DeviceSpec

# GB/T 28181 precedent: 60 s heartbeat, offline after 3 misses (DOMAIN.md §1).
HEARTBEAT_INTERVAL_S = 60.0
# Detectors report faster while something is happening, like real ones in pre-alarm.
FAST_INTERVAL_S = 5.0


@dataclass(frozen=True, slots=True)
class Out:
    channel: Channel
    model: type[Any]
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Intervals:
    """Reporting periods (simulated seconds). The fleet generator may slow them for load runs."""

    smoke_s: float = 30.0
    port_charging_s: float = 30.0
    port_idle_s: float = 60.0
    heartbeat_s: float = HEARTBEAT_INTERVAL_S


@dataclass
class Window:
    """An injected condition active in [start_s, end_s)."""

    start_s: float
    end_s: float = float("inf")
    params: dict[str, Any] = field(default_factory=dict)

    def is_active(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.end_s


class DeviceModel:
    """Base: heartbeat timer, telemetry timer, battery and injected windows."""

    def __init__(
        self, spec: DeviceSpec, rng: random.Random, cal: Calibration, intervals: Intervals
    ) -> None:
        self.spec = spec
        self.rng = rng
        self.cal = cal
        self.intervals = intervals
        self.battery_pct = round(rng.uniform(55.0, 100.0), 1)
        self.windows: dict[str, list[Window]] = {}
        self.wakeups: list[float] = []
        self.actions: list[tuple[float, str, dict[str, Any]]] = []
        # Random phase so thousands of devices do not report in lock-step.
        self.next_hb_s = rng.uniform(0.0, intervals.heartbeat_s)
        self.next_tel_s = rng.uniform(0.0, intervals.smoke_s)

    # --- injected conditions -------------------------------------------------------------
    def inject(self, name: str, window: Window) -> None:
        """A condition over a time window; the device reports at its start."""
        self.windows.setdefault(name, []).append(window)
        self.schedule(window.start_s, "report", {})
        if window.end_s != float("inf"):
            self.wakeups.append(window.end_s)

    def schedule(self, t_s: float, name: str, params: dict[str, Any]) -> None:
        """A one-off action at t (open a door, start a session ...), see `perform`."""
        self.actions.append((t_s, name, params))
        self.actions.sort(key=lambda a: a[0])

    def perform(self, name: str, t_s: float, params: dict[str, Any]) -> list[Out]:
        if name == "report":
            self.next_tel_s = t_s  # report now; the telemetry step below runs in this advance
            return []
        raise ValueError(f"{type(self).__name__} cannot perform {name!r}")

    def active(self, name: str, t_s: float) -> Window | None:
        for w in self.windows.get(name, ()):
            if w.is_active(t_s):
                return w
        return None

    # --- scheduling ----------------------------------------------------------------------
    def telemetry_interval_s(self, t_s: float) -> float:
        return self.intervals.smoke_s

    def internal_due_s(self) -> float:
        return float("inf")

    def next_due_s(self) -> float:
        wake = min(self.wakeups) if self.wakeups else float("inf")
        if self.actions:
            wake = min(wake, self.actions[0][0])
        return min(self.next_hb_s, self.next_tel_s, self.internal_due_s(), wake)

    def advance(self, t_s: float) -> list[Out]:
        self.wakeups = [w for w in self.wakeups if w > t_s]
        out: list[Out] = []
        while self.actions and self.actions[0][0] <= t_s:
            _, name, params = self.actions.pop(0)
            out += self.perform(name, t_s, params)
        out += self.internal(t_s)
        if t_s >= self.next_tel_s:
            out += self.telemetry(t_s)
            self.next_tel_s = t_s + self.telemetry_interval_s(t_s)
        if t_s >= self.next_hb_s:
            out.append(self.heartbeat(t_s))
            self.next_hb_s = t_s + self.intervals.heartbeat_s
        return out

    def internal(self, t_s: float) -> list[Out]:
        return []

    def telemetry(self, t_s: float) -> list[Out]:
        return []

    def heartbeat(self, t_s: float) -> Out:
        fields = {"interval_s": self.intervals.heartbeat_s, "battery_pct": self.battery(t_s)}
        return Out(Channel.STATUS, Heartbeat, fields)

    def on_command(self, action: LinkageAction, t_s: float) -> list[Out]:
        """React to a linkage command; models that cannot obey ignore it."""
        return []

    def battery(self, t_s: float) -> float:
        low = self.active("battery", t_s)
        return float(low.params["pct"]) if low else self.battery_pct
