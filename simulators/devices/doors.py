"""Doors and access control: openings at a rate and with open durations from the kasteren
front-door log, card reads on entrances and gates, held-open and forced events, lock release."""

from __future__ import annotations

import random
from typing import Any

from events.alerts import LinkageAction
from events.readings import DeviceAlarm, DeviceAlarmType, DoorEvent, DoorEventType, DoorType
from events.topics import Channel
from simulators.calibration import Calibration, sample_quantiles
from simulators.devices.base import DeviceModel, Intervals, Out
from simulators.fleet import DeviceSpec

# Traffic relative to one household's front door (kasteren: ~3.6 openings a day): a compound
# gate serves hundreds of people, a normally-closed fire door should hardly ever open.
TRAFFIC = {
    DoorType.GATE: 40.0,
    DoorType.UNIT_ENTRANCE: 15.0,
    DoorType.EVACUATION_EXIT: 0.3,
    DoorType.FIRE_DOOR_NC: 1.0,
}
# Vendor default 10-30 s before "held open" (DOMAIN.md §5): the controller reports at 30 s.
HELD_OPEN_AFTER_S = 30.0
HAS_READER = (DoorType.GATE, DoorType.UNIT_ENTRANCE)


class Door(DeviceModel):
    def __init__(
        self, spec: DeviceSpec, rng: random.Random, cal: Calibration, intervals: Intervals
    ) -> None:
        super().__init__(spec, rng, cal, intervals)
        self.door_type = spec.door_type or DoorType.UNIT_ENTRANCE
        self.is_open = False
        self.locks_released = False
        self.close_s = float("inf")
        self.held_s = float("inf")
        self.next_tel_s = float("inf")  # event-driven: heartbeats only
        self.next_open_s = self._next_open(0.0)

    def _next_open(self, t_s: float) -> float:
        per_day = self.cal.door_openings_per_day * TRAFFIC[self.door_type]
        return t_s + self.rng.expovariate(per_day / 86_400.0)

    def internal_due_s(self) -> float:
        if self.is_open:
            return min(self.close_s, self.held_s)
        return self.next_open_s

    def _event(self, event: DoorEventType, card: str | None = None) -> Out:
        fields = {
            "door_type": self.door_type,
            "event": event,
            "is_open": self.is_open,
            "are_locks_released": self.locks_released,
            "card_id": card,
        }
        return Out(Channel.EVENT, DoorEvent, fields)

    def open_for(self, t_s: float, duration_s: float, forced: bool = False) -> list[Out]:
        out: list[Out] = []
        if self.door_type in HAS_READER and not forced:
            card = f"card-{self.rng.randrange(1, 5000):04d}"
            out.append(self._event(DoorEventType.CARD_GRANTED, card))
        self.is_open = True
        self.close_s = t_s + duration_s
        self.held_s = t_s + HELD_OPEN_AFTER_S if duration_s > HELD_OPEN_AFTER_S else float("inf")
        out.append(self._event(DoorEventType.FORCED if forced else DoorEventType.OPENED))
        if forced:
            alarm = {"alarm_type": DeviceAlarmType.DOOR_FORCED, "is_active": True}
            out.append(Out(Channel.ALARM, DeviceAlarm, alarm))
        return out

    def internal(self, t_s: float) -> list[Out]:
        out: list[Out] = []
        if self.is_open and t_s >= self.held_s:
            self.held_s = float("inf")
            out.append(self._event(DoorEventType.HELD_OPEN))
        if self.is_open and t_s >= self.close_s:
            self.is_open, self.close_s, self.held_s = False, float("inf"), float("inf")
            out.append(self._event(DoorEventType.CLOSED))
        if not self.is_open and t_s >= self.next_open_s:
            # An opening due while the door was held open starts after it closed.
            out += self.open_for(t_s, sample_quantiles(self.rng, self.cal.door_open_s))
            self.next_open_s = self._next_open(t_s)
        return out

    def perform(self, name: str, t_s: float, params: dict[str, Any]) -> list[Out]:
        if name == "prop_open":
            return self.open_for(t_s, float(params["duration_s"]))
        if name == "force_open":
            return self.open_for(t_s, float(params.get("duration_s", 20.0)), forced=True)
        return super().perform(name, t_s, params)

    def on_command(self, action: LinkageAction, t_s: float) -> list[Out]:
        # Evacuation-route access control releases its locks on fire (GB 55024-2022 §5.3.6).
        if self.door_type is DoorType.FIRE_DOOR_NC:
            return []
        if action is LinkageAction.RELEASE_LOCKS:
            self.locks_released = True
            return [self._event(DoorEventType.LOCKS_RELEASED)]
        if action is LinkageAction.ENGAGE_LOCKS:
            self.locks_released = False
            return [self._event(DoorEventType.LOCKS_ENGAGED)]
        return []
