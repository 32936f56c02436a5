"""One compound's grouping state (pure): its incidents, which condition joined which, the
latest incident at each place, its maintenance work orders.

Alerts are keyed by compound on Kafka, so one dispatch instance sees all of a compound's
alerts; a future consumer group splits compounds between instances, each rebuilding its
books from the ledger (Ledger.restore). Resolved incidents stay for `resolved_memory_s`: the
hold-off (flapping) and the recognition of replays need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.lifecycle import Incident
from alerts.maintenance import WorkOrder
from events.alerts import Severity
from events.incidents import PlaceScope


@dataclass(slots=True)
class CompoundBook:
    compound_id: str
    incidents: dict[str, Incident] = field(default_factory=dict)  # open + recently resolved
    at_place: dict[str, str] = field(default_factory=dict)  # place key -> latest incident
    owner: dict[str, str] = field(default_factory=dict)  # condition key -> incident key
    work_orders: dict[str, WorkOrder] = field(default_factory=dict)  # by condition key

    def add(self, inc: Incident) -> None:
        self.incidents[inc.incident_key] = inc
        latest = self.incidents.get(self.at_place.get(inc.place.key, ""))
        if latest is None or latest.opened_at <= inc.opened_at:
            self.at_place[inc.place.key] = inc.incident_key
        for key in inc.conditions:
            self.own(key, inc)

    def own(self, condition_key: str, inc: Incident) -> None:
        self.owner[condition_key] = inc.incident_key

    def owner_of(self, condition_key: str) -> Incident | None:
        return self.incidents.get(self.owner.get(condition_key, ""))

    def latest_at(self, place_key: str) -> Incident | None:
        return self.incidents.get(self.at_place.get(place_key, ""))

    def live_at(self, place_key: str) -> Incident | None:
        inc = self.latest_at(place_key)
        return inc if inc is not None and inc.is_open else None

    def fire_in(self, building_id: str | None) -> Incident | None:
        """The live P1 incident of a building, if it burns."""
        if building_id is None:
            return None
        return next(
            (
                i
                for i in self.incidents.values()
                if i.is_open
                and i.severity is Severity.P1
                and i.place.scope is PlaceScope.BUILDING
                and i.place.building_id == building_id
            ),
            None,
        )

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents.values() if i.is_open]

    def forget_before(self, cutoff: datetime) -> None:
        """Drop incidents resolved before `cutoff` and work orders done before it."""
        gone = {
            key
            for key, inc in self.incidents.items()
            if inc.resolved_at is not None and inc.resolved_at < cutoff
        }
        for key in gone:
            del self.incidents[key]
        self.owner = {c: k for c, k in self.owner.items() if k not in gone}
        self.at_place = {p: k for p, k in self.at_place.items() if k not in gone}
        self.work_orders = {
            c: w
            for c, w in self.work_orders.items()
            if w.is_open or (w.done_at is not None and w.done_at >= cutoff)
        }


def within(then: datetime | None, now: datetime, seconds: float) -> bool:
    return then is not None and now - then <= timedelta(seconds=seconds)
