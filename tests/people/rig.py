"""Shared builders for the people-as-sensors tests: reports, check-ins, a desk on SQLite."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alerts.hazards.desk import HazardDesk
from alerts.hazards.maintenance import MaintenanceItems
from alerts.hazards.patrols import load_patrols
from alerts.hazards.policy import HazardPolicy
from alerts.hazards.store import HazardStore
from alerts.ledger.db import Database
from alerts.registry import EXAMPLE_DIR, load_registry
from events.reports import (
    HazardCategory,
    HazardReport,
    PatrolCheckIn,
    PhotoRef,
    ReportPlace,
    ReportSource,
)
from runtime.clock import ManualClock

# A Monday, 10:00 in Shanghai.
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def photo_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def report(
    report_id: str = "r1",
    *,
    category: HazardCategory = HazardCategory.BLOCKED_ROUTE,
    building_id: str | None = "b1",
    floor: int | None = 3,
    at: datetime = START,
    photos: tuple[str, ...] = ("p1",),
    compound_id: str = "c001",
) -> HazardReport:
    return HazardReport(
        report_id=report_id,
        source=ReportSource.RESIDENT,
        category=category,
        place=ReportPlace(compound_id=compound_id, building_id=building_id, floor=floor),
        description="bikes block the stairs",
        photos=tuple(
            PhotoRef(photo_id=photo_id(p), width_px=640, height_px=480, size_bytes=1000)
            for p in photos
        ),
        reported_at=at,
        received_via="resident-web",
    )


def checkin(
    checkpoint_id: str,
    at: datetime,
    member: str = "gw-1",
    round_id: str = "c001-exits",
    compound_id: str = "c001",
) -> PatrolCheckIn:
    return PatrolCheckIn(
        checkin_id=f"ck-{checkpoint_id}-{at.timestamp()}",
        round_id=round_id,
        checkpoint_id=checkpoint_id,
        compound_id=compound_id,
        member_id=member,
        at=at,
        is_ok=True,
        received_via="patrol-web 127.0.0.1",
    )


@dataclass
class FakeShelf:
    """The photo store's read side with a set of ids."""

    ids: set[str] = field(default_factory=set)

    def has(self, photo_id: str) -> bool:
        return photo_id in self.ids


def desk(
    tmp_path: Path,
    clock: ManualClock,
    policy: HazardPolicy | None = None,
    db_url: str | None = None,
) -> HazardDesk:
    """A desk on the ledger at `db_url` (SQLite under tmp_path by default)."""
    registry = load_registry(EXAMPLE_DIR)
    db = Database(db_url or f"sqlite:///{tmp_path}/ledger.db")
    return HazardDesk(
        registry,
        load_patrols(EXAMPLE_DIR, registry),
        HazardStore(db),
        MaintenanceItems(db),
        policy or HazardPolicy(),
        clock,
        FakeShelf({photo_id("fixed")}),
    )
