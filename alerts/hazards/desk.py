"""The hazard desk (dispatch side, no I/O of its own): reports and check-ins in, hazard
changes out, escalations and missed rounds on time. The runner feeds it Kafka records and the
clock; the API feeds it people's commands. Every change is stored before it is returned, and
the caller publishes it (`fw.hazards.v1`), then marks it published.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from alerts.errors import TransitionError
from alerts.hazards import lifecycle
from alerts.hazards.coverage import SlotResult, longest_slot, missed_slots
from alerts.hazards.lifecycle import Command
from alerts.hazards.maintenance import ItemKind, MaintenanceItem, MaintenanceItems
from alerts.hazards.model import Hazard, HazardChange, to_update
from alerts.hazards.patrols import PatrolRound, checkpoint_index
from alerts.hazards.policy import HazardPolicy
from alerts.hazards.store import HazardStore
from alerts.registry.registry import Registry
from events.hazards import HazardUpdate
from events.reports import CATEGORY_LABELS, HazardReport, PatrolCheckIn
from runtime.clock import Clock

log = logging.getLogger(__name__)

# A missed round is a work order within 24 h (DOMAIN.md §2, P3's "work order within 24 h").
MISSED_ROUND_DUE_H = 24.0
# How far back the timer looks for ended slots: a weekly round's last week and a day.
_LOOKBACK = timedelta(days=8)


class PhotoShelf(Protocol):
    """The read side of the photo store (community/ writes it)."""

    def has(self, photo_id: str) -> bool: ...


class HazardDesk:
    def __init__(  # noqa: PLR0917 - the desk's collaborators, injected
        self,
        registry: Registry,
        rounds: tuple[PatrolRound, ...],
        store: HazardStore,
        items: MaintenanceItems,
        policy: HazardPolicy,
        clock: Clock,
        photos: PhotoShelf,
        patrols_since: datetime | None = None,
    ) -> None:
        self.registry, self.rounds, self.store, self.items = registry, rounds, store, items
        self.policy, self.clock, self.photos = policy, clock, photos
        self.checkpoints = checkpoint_index(rounds)
        # Missed rounds count from here: slots before the desk ever ran are not "missed".
        self.patrols_since = patrols_since or clock.now()
        self.open: dict[str, Hazard] = {h.hazard_id: h for h in store.open_hazards()}

    # -- reports and check-ins --------------------------------------------------------------
    def take(self, record: HazardReport | PatrolCheckIn) -> list[HazardUpdate]:
        """One record of fw.reports.v1; a redelivered one changes nothing (idempotent)."""
        if isinstance(record, PatrolCheckIn):
            self._check_in(record)
            return []
        if self.store.has_report(record.report_id):
            return []
        now = self.clock.now()
        same = self._same_hazard(record)
        if same is not None:
            trial = lifecycle.copy(same)
            change = lifecycle.join_report(trial, record, now)
            return [self._commit(trial, change, record)]
        compound = self.registry.compound(record.place.compound_id)
        street_id = compound.street_id if compound else None
        hazard, change = lifecycle.open_hazard(
            record, f"hz-{record.report_id[:40]}", now, street_id, self._title(record)
        )
        lifecycle.schedule(hazard, self.policy)
        return [self._commit(hazard, change, record)]

    def _same_hazard(self, report: HazardReport) -> Hazard | None:
        place = report.place
        return next(
            (
                h
                for h in self.open.values()
                if h.compound_id == place.compound_id
                and h.category is report.category
                and h.same_place(place.building_id, place.floor)
            ),
            None,
        )

    def _title(self, report: HazardReport) -> str:
        place = report.place
        compound = self.registry.compound(place.compound_id)
        parts = [
            CATEGORY_LABELS[report.category][0],
            compound.name if compound else place.compound_id,
        ]
        building = next(
            (
                b
                for b in (compound.buildings if compound else ())
                if b.building_id == place.building_id
            ),
            None,
        )
        if building is not None:
            parts.append(building.name)
        if place.floor is not None:
            parts.append(f"{place.floor}层" if place.floor > 0 else f"地下{-place.floor}层")
        if place.unit:
            parts.append(place.unit)
        return " · ".join(parts)[:200]

    def _check_in(self, record: PatrolCheckIn) -> None:
        known = self.checkpoints.get(record.checkpoint_id)
        if known is None or known[0].round_id != record.round_id:
            log.warning(
                "check-in %s names an unknown checkpoint %s of round %s; kept",
                record.checkin_id,
                record.checkpoint_id,
                record.round_id,
            )
        self.store.record_checkin(record)

    # -- people's commands ------------------------------------------------------------------
    def act(self, hazard_id: str, cmd: Command, actor: str, source: str) -> HazardUpdate:
        current = self.open.get(hazard_id) or self.store.hazard(hazard_id)
        if current is None:
            raise KeyError(hazard_id)
        missing = [p for p in cmd.photo_ids if not self.photos.has(p)]
        if missing:
            raise TransitionError(f"photo {missing[0]} is not in the photo store: upload it first")
        trial = lifecycle.copy(current)
        change = lifecycle.apply(trial, cmd, actor, self.clock.now(), source, self.policy)
        return self._commit(trial, change)

    # -- time -------------------------------------------------------------------------------
    def tick(self) -> list[HazardUpdate]:
        """Escalations that fell due, and missed rounds turned into maintenance items."""
        now = self.clock.now()
        updates = []
        for hazard in list(self.open.values()):
            trial = lifecycle.copy(hazard)
            change = lifecycle.escalate_due(trial, now, self.policy)
            if change is not None:
                log.warning("hazard %s: %s", hazard.hazard_id, change.detail)
                updates.append(self._commit(trial, change))
        self._missed_rounds(now)
        return updates

    def next_due_at(self) -> datetime | None:
        now = self.clock.now()
        times = [h.next_due_at for h in self.open.values() if h.next_due_at is not None]
        times += [r.slot_of(now)[1] for r in self.rounds]
        return min(times, default=None)

    def _missed_rounds(self, now: datetime) -> list[SlotResult]:
        start = max(self.patrols_since, now - _LOOKBACK)
        checkins = self.store.checkins(start - longest_slot(self.rounds), now)
        missed = missed_slots(self.rounds, checkins, start, now)
        for slot in missed:
            item = MaintenanceItem(
                item_id=slot.item_id,
                kind=ItemKind.MISSED_ROUND,
                subject=slot.round_id,
                compound_id=slot.compound_id,
                opened_at=now,
                due_at=now + timedelta(hours=MISSED_ROUND_DUE_H),
                detail=f"slot {slot.start.isoformat()} - {slot.end.isoformat()}: not checked "
                + ", ".join(slot.missing),
            )
            if self.items.open(item):
                log.warning("missed patrol round: %s", item.detail)
        return missed

    # -- bookkeeping ------------------------------------------------------------------------
    def _commit(
        self, hazard: Hazard, change: HazardChange, report: HazardReport | None = None
    ) -> HazardUpdate:
        self.store.save(hazard, change, report)
        if hazard.is_open:
            self.open[hazard.hazard_id] = hazard
        else:
            self.open.pop(hazard.hazard_id, None)
        return to_update(hazard, change)

    def unpublished(self) -> list[HazardUpdate]:
        return [to_update(h, c) for h, c in self.store.unpublished()]

    def published(self, update: HazardUpdate) -> None:
        self.store.mark_published(update.hazard_id, update.seq, self.clock.now())
