"""Exactly-once effect from at-least-once delivery (issue 19 item 3): the worker re-emits
alert revisions after a crash (its offsets and tables lag what it published), so every
consumer downstream must make a re-emitted revision change nothing. Proven per consumer:

- dispatch: pages depend only on the revisions in order; any replay from an earlier point,
  across a dispatch restart too, pages exactly as the clean stream did (property-based);
- feeds: an item delivered once is never delivered again, by event id, across a restart;
- the telemetry sink: a redelivered reading is the identical line with the same timestamp, so
  the database keeps one point (tests/telemetry/test_lines.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.feeds.delivery import Sender
from alerts.feeds.hub import FeedHub
from alerts.feeds.items import from_hazard
from alerts.feeds.store import DeliveryLedger
from alerts.hazards.maintenance import MaintenanceItems
from alerts.ledger.db import Database
from alerts.registry.models import ContactChannel
from events.alerts import Alert
from events.reports import HazardCategory
from runtime.clock import ManualClock
from tests.alerts.rig import DAY, Rig, build_rig, make_alert
from tests.people.feed_rig import receiver
from tests.people.rig import START
from tests.people.test_feeds import KEY, feeds, hazard

REVISIONS = 4


def _revision(n: int) -> Alert:
    """Revision n of one fire: each adds an independent source (a material change)."""
    devices = tuple(f"sd-{i}" for i in range(1, n + 1))
    return make_alert(revision=n, evidence=devices)


def _pages(rig: Rig) -> Counter[tuple[str, str]]:
    channels = rig.channels
    return Counter(
        (ch.value, f"{p.step_id}:{p.recipient_id}")
        for ch in ContactChannel
        for p in channels[ch].pages
    )


async def _run(db_url: str, stream: list[int], restart_at: int | None) -> Counter[tuple[str, str]]:
    clock = ManualClock(DAY)
    rig = build_rig(db_url, clock)
    pages: Counter[tuple[str, str]] = Counter()
    for i, revision in enumerate(stream):
        if i == restart_at:  # dispatch restarts: a new process on the same ledger
            pages += _pages(rig)
            rig = build_rig(db_url, clock)
        await rig.alert(_revision(revision))
    return pages + _pages(rig)


rewinds = st.lists(st.tuples(st.integers(1, REVISIONS), st.integers(1, REVISIONS)), max_size=4)


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rewinds=rewinds, restart_at=st.none() | st.integers(0, 12))
async def test_replayed_revisions_page_as_the_clean_stream_did(
    tmp_path_factory: pytest.TempPathFactory, rewinds: list[tuple[int, int]], restart_at: int | None
) -> None:
    """A crashed worker resumes from an earlier point and publishes in order again: the
    stream is 1..N with rewinds (after reaching `upto`, it starts again at `back`)."""
    stream, reached = [], 0
    for upto, back in rewinds:
        stream += list(range(reached + 1, max(reached, upto) + 1))
        reached = max(reached, upto)
        stream += list(range(min(back, reached), reached + 1))
    stream += list(range(reached + 1, REVISIONS + 1))
    tmp = tmp_path_factory.mktemp("dispatch")
    clean = await _run(f"sqlite:///{tmp}/clean.db", list(range(1, REVISIONS + 1)), None)
    replayed = await _run(f"sqlite:///{tmp}/replayed.db", stream, restart_at)
    assert replayed == clean
    assert max(clean.values()) == 1  # nobody paged twice, on any channel


async def test_a_feed_never_delivers_an_item_twice_across_a_restart(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/feeds.db"
    item = from_hazard(hazard(HazardCategory.MIXED_USE))
    assert item is not None
    async with receiver(KEY) as rec, httpx.AsyncClient() as http:
        for _ in range(2):  # the feed service, then the same service restarted
            db = Database(db_url)
            ledger, items = DeliveryLedger(db), MaintenanceItems(db)
            hub = FeedHub(feeds(rec.url), Sender(http, None), ledger, items, ManualClock(START))
            for _ in range(3):  # the record redelivered: uncommitted offsets after a crash
                await hub.offer(item)
        assert [i["event_id"] for i in rec.items] == ["hz-mixed_use#1"]
