"""Several dispatch instances on one ledger (issue 16.4), piece by piece: step claims (no page
twice), which compounds an instance keeps on a rebalance, and the console's view of the
incidents other instances own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from alerts.ledger import Database, Ledger, verify
from alerts.ledger.batch import LedgerBatch, PageRecord
from alerts.ledger.sharing import StepClaim
from alerts.lifecycle import Action, Outcome
from alerts.notify.base import Channel, RecordingChannel, RecordingForwarder119
from alerts.notify.hub import ConsoleHub
from alerts.registry.models import ContactChannel
from alerts.service.console_feed import ForeignIncidents
from alerts.service.ownership import Ownership, release
from alerts.service.pager import Pager
from events.topics import Topics
from runtime.partitioner import partition_for

from .rig import DAY, Rig, make_alert

LEASE_S = 30.0


def _pages(step: str = "p1-no-ack") -> list[PageRecord]:
    return [
        PageRecord("inc-1", step, who, "sms", DAY, is_ok=False, detail="")
        for who in ("ste-m1", "ste-m2")
    ]


def test_a_step_is_claimed_once_across_instances(rig: Rig) -> None:
    ledger = rig.ledger
    assert ledger.claim_step(_pages(), "dispatch-a", LEASE_S) is StepClaim.FIRST
    # A paused instance that still believes it owns the compound: refused, nothing sent.
    assert ledger.claim_step(_pages(), "dispatch-b", LEASE_S) is StepClaim.ELSEWHERE
    # Another step of the same incident is a claim of its own.
    assert ledger.claim_step(_pages("p1-street"), "dispatch-b", LEASE_S) is StepClaim.FIRST


def test_an_instance_restarted_mid_step_sends_again_as_a_resend(rig: Rig) -> None:
    assert rig.ledger.claim_step(_pages(), "dispatch-a", LEASE_S) is StepClaim.FIRST
    # The same instance, back after a crash between its pages and its ledger write: at least
    # once (alerts/service/shell.py), never not at all; the pages say they may be repeats.
    assert rig.ledger.claim_step(_pages(), "dispatch-a", LEASE_S) is StepClaim.RESEND


def test_a_claim_of_a_dead_instance_expires_but_an_outcome_never_does(
    tmp_path: Path, rig: Rig
) -> None:
    now = [DAY.timestamp()]
    ledger = Ledger(Database(f"sqlite:///{tmp_path}/shared.db"), now=lambda: now[0])
    assert ledger.claim_step(_pages(), "dispatch-a", LEASE_S) is StepClaim.FIRST
    now[0] += LEASE_S + 1
    assert ledger.claim_step(_pages(), "dispatch-b", LEASE_S) is StepClaim.RESEND  # a died
    batch = LedgerBatch.of([], [], [], [])
    batch.pages = [PageRecord("inc-1", "p1-no-ack", "ste-m1", "sms", DAY, True, "sent")]
    ledger.write(batch)  # b's outcome replaces its claim
    now[0] += 10 * LEASE_S
    assert ledger.claim_step(_pages(), "dispatch-a", LEASE_S) is StepClaim.ELSEWHERE
    # Claims are ledger rows like any other: audited, and the chain still verifies.
    result = verify(ledger.db)
    assert result.is_ok, result.problems
    ledger.db.close()


async def test_a_step_cut_short_goes_again_each_page_marked_resend(rig: Rig) -> None:
    """A sender killed between its pages and their ledger write left its claim: the same
    instance, restarted, sends the step again and each page says it may be a repeat; another
    live instance sends nothing."""
    await rig.alert(make_alert())
    rig.clock.advance(3600)  # the ladder's later steps are due
    order = rig.core.on_tick(rig.clock.now()).pages[0]

    def pager_of(owner: str) -> tuple[Pager, RecordingChannel]:
        async def claim(records: Sequence[PageRecord]) -> StepClaim:
            return rig.ledger.claim_step(records, owner, LEASE_S)

        channel = RecordingChannel()
        channels: dict[ContactChannel, Channel] = {ch: channel for ch in ContactChannel}
        return Pager(channels, RecordingForwarder119(), claim=claim), channel

    killed, first = pager_of("dispatch-a")
    await killed.send(order)  # and killed here, before the shell's ledger write
    restarted, again = pager_of("dispatch-a")
    await restarted.send(order)
    other, none = pager_of("dispatch-b")
    await other.send(order)

    assert first.pages
    assert not any(p.is_resend for p in first.pages)
    assert [replace(p, is_resend=True) for p in first.pages] == again.pages
    assert none.pages == []


def _two_compounds() -> tuple[str, str, int]:
    """The registry's two compounds, on different partitions of the alerts topic."""
    count = 6
    kept, moved = "c001", "c-north"
    assert partition_for(kept, count) != partition_for(moved, count)
    return kept, moved, count


async def test_revocation_drops_the_compounds_and_their_timers(rig: Rig) -> None:
    kept, moved, count = _two_compounds()
    await rig.alert(make_alert(compound=kept))
    await rig.alert(make_alert(compound=moved, building="n1"))
    assert {i.compound_id for i in rig.core.open_incidents()} == {kept, moved}
    ownership = Ownership(Topics.ALERTS, frozenset({partition_for(kept, count)}), count)

    assert release(rig.core, ownership.owns) == 1
    assert {i.compound_id for i in rig.core.open_incidents()} == {kept}
    # The moved compound's deadlines are gone with it: nothing of it fires here any more.
    rig.clock.advance(3600)
    fx = rig.core.on_tick(rig.clock.now())
    assert {p.incident.compound_id for p in fx.pages} == {kept}  # only the kept one is due


async def test_assignment_restores_only_the_instances_compounds(rig: Rig) -> None:
    kept, moved, count = _two_compounds()
    await rig.alert(make_alert(compound=kept))
    await rig.alert(make_alert(compound=moved, building="n1"))
    ownership = Ownership(Topics.ALERTS, frozenset({partition_for(moved, count)}), count)
    restored = ownership.owned(rig.ledger.restore(rig.clock.now() - timedelta(hours=1)))
    assert [i.compound_id for i in restored.incidents] == [moved]


async def test_a_console_shows_changes_to_incidents_another_instance_owns(
    rig: Rig, tmp_path: Path
) -> None:
    # This instance owns nothing; `rig` plays the instance that owns c001.
    here = Ledger(Database(rig.db_url))
    hub = ConsoleHub()  # this instance's console streams
    feed = ForeignIncidents(here, hub, lambda _compound: False)
    stream = hub.subscribe("cr-1")
    inc = await rig.alert(make_alert())
    assert inc is not None
    assert await feed.refresh() == 1
    assert [i.incident_key for i in feed.current()] == [inc.incident_key]
    assert (await stream.get())["incident"].incident_key == inc.incident_key
    assert await feed.refresh() == 0  # nothing changed: nothing sent

    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    assert await feed.refresh() == 1
    assert (await stream.get())["incident"].acknowledged_at is not None
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.TEST)
    assert await feed.refresh() == 1  # the resolution reaches the console, then it is gone
    assert not (await stream.get())["incident"].is_open
    assert feed.current() == []
    here.db.close()
