"""The dispatch service end to end on real brokers: dispatch, escalation at the configured
time, read-back, "power cut not confirmed" as a failed task, and an alert storm that stays one
incident. The test produces the Alert records a detector would."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from alerts.lifecycle import Action, ActionRequest
from events.alerts import AlertKind
from events.codec import encode_model
from events.deadletter import DeadLetter, DeadLetterOrigin, DeadLetterReason
from events.incidents import IncidentUpdate, TaskState
from events.readings import RelayState
from events.topics import Topics
from tests.alerts.rig import CUT, make_alert, port_reading
from tests.polling import wait_for

from .conftest import Stack

pytestmark = pytest.mark.integration


def _on_duty(stack: Stack, station: str) -> set[str]:
    shift = stack.service.registry.station(station).shift_at(datetime.now(UTC))
    assert shift is not None
    return set(shift.members)


def _paged(stack: Stack, step: str) -> list[tuple[str, str]]:
    ledger = stack.service.ledger
    with ledger.lock:  # never inside a transaction the shell's worker thread has open
        rows = ledger.db.query(
            "SELECT recipient, channel FROM notifications WHERE step_id = ?", (step,)
        )
    return [(r[0], r[1]) for r in rows]


async def test_fire_is_dispatched_to_nearest_station_and_escalates_without_ack(
    stack: Stack,
) -> None:
    now = datetime.now(UTC)
    await stack.send(Topics.ALERTS, make_alert(at=now), "c001")
    page = await wait_for(lambda: stack.listener.on("terminals/term-st-east/page"))
    assert page[0]["step"] == "p1-page"
    # The terminal page left before the step was recorded (the shell pages first): wait for it.
    await wait_for(lambda: _paged(stack, "p1-page"), what="the first step recorded")
    inc = stack.service.ledger.open_incidents()[0]
    assert inc.station_id == "st-east"
    members = {r for r, ch in _paged(stack, "p1-page") if ch == "console"}
    assert members == _on_duty(stack, "st-east") | {"cr-1", "cr-2", "gw-1"}
    # Nobody acknowledges: the configured 1.5 s step pages backup members and the chief.
    await wait_for(lambda: _paged(stack, "p1-no-ack"), timeout_s=10)
    fired_at = stack.service.ledger.db.query(
        "SELECT MIN(at) FROM notifications WHERE step_id = 'p1-no-ack'"
    )[0][0]
    # Never early; and before the next step (4 s) even on a loaded machine.
    assert 1.5 <= fired_at - inc.opened_at.timestamp() < 4.0
    assert "ste-chief" in {r for r, _ in _paged(stack, "p1-no-ack")}
    # Acknowledged now, but nobody on scene by 4 s: street level and the 119 forward.
    await stack.service.act(ActionRequest(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "test"))
    await wait_for(lambda: stack.forwarder.forwarded, timeout_s=10)
    # Pages go out before the step is recorded (the shell's order: a recorded step was sent),
    # so the ledger row follows the forward by a worker-thread write: wait for it.
    street = await wait_for(
        lambda: {r for r, _ in _paged(stack, "p1-street-119")}, what="the street step recorded"
    )
    assert "so-1" in street
    updates = await _read_updates(
        stack, lambda found: any(u.action == "acknowledge" for u in found)
    )
    mine = [u for u in updates if u.incident_key == inc.incident_key]
    assert {"dispatch", "acknowledge"} <= {u.action.value for u in mine}
    assert [u.seq for u in mine] == list(range(1, len(mine) + 1))  # every change, in order


async def _read_updates(stack: Stack, is_done: Any) -> list[IncidentUpdate]:
    values = await _read_all(
        stack,
        Topics.INCIDENTS,
        lambda found: is_done([IncidentUpdate.model_validate_json(v) for v in found]),
    )
    return [IncidentUpdate.model_validate_json(v) for v in values]


async def test_stuck_relay_fails_the_power_cut_task(stack: Stack) -> None:
    alert = make_alert(
        AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,), at=datetime.now(UTC)
    )
    await stack.send(Topics.ALERTS, alert, "c001")
    command = await wait_for(lambda: stack.listener.on("fw/v1/c001/gw-1/cp-1/cmd"))
    assert command[0]["action"] == "cut_power"
    # The relay keeps reporting "on": the read-back deadline (2 s here) passes.
    await stack.send(
        Topics.READINGS, port_reading(RelayState.ON, seq=1, at=datetime.now(UTC)), "cp-1"
    )

    def failed() -> list[str]:
        return [
            t.detail
            for i in stack.service.open_incidents()
            for t in i.tasks.values()
            if t.state is TaskState.FAILED
        ]

    details = await wait_for(failed, timeout_s=10)
    assert "power cut not confirmed by cp-1" in details[0]
    assert len(stack.service.open_incidents()) == 1  # a task state, not an incident

    def settled() -> list[tuple[str, ...]]:
        # In memory first; the shell pages the next step, then writes the ledger (its order).
        with stack.service.ledger.lock:
            rows = stack.service.ledger.db.query("SELECT state FROM commands")
        return [] if ("pending",) in rows else rows

    assert await wait_for(settled, timeout_s=10, what="the command's state recorded") == [
        ("not_confirmed",)
    ]
    stored = stack.service.ledger.db.query(
        "SELECT task_key, state FROM incident_tasks WHERE kind = 'cut_power'"
    )
    assert stored == [("cut_power:cp-1", "failed")]


async def test_relay_off_confirms_the_power_cut(stack: Stack) -> None:
    alert = make_alert(
        AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,), at=datetime.now(UTC)
    )
    await stack.send(Topics.ALERTS, alert, "c001")
    await wait_for(lambda: stack.listener.on("/cp-1/cmd"))
    await stack.send(
        Topics.READINGS, port_reading(RelayState.OFF, seq=2, at=datetime.now(UTC)), "cp-1"
    )
    await wait_for(
        lambda: stack.service.ledger.db.query("SELECT 1 FROM commands WHERE state = 'confirmed'")
    )
    assert not stack.service.dispatcher.commands


async def test_alert_storm_is_one_incident_and_one_page_per_recipient(stack: Stack) -> None:
    await stack.producer.send_and_wait(Topics.ALERTS, b"{not json", key=b"c001")
    now = datetime.now(UTC)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for revision in range(1, 1001):  # 1,000 alerts a second for one incident
        await stack.producer.send(Topics.ALERTS, _encoded(revision, now), key=b"c001")
        if revision % 10 == 0:
            await asyncio.sleep(max(0.0, start + revision / 1000 - loop.time()))
    await stack.producer.flush()
    await wait_for(lambda: stack.service.dispatcher.alerts_seen >= 1000, timeout_s=30)
    assert len(stack.service.open_incidents()) == 1
    pages = _paged(stack, "p1-page")
    assert len(pages) == len(set(pages))  # each person paged once
    assert len([m for m in stack.listener.on("terminals/") if m["step"] == "p1-page"]) == 1
    assert stack.service.ledger.db.query("SELECT COUNT(*) FROM incidents") == [(1,)]

    # ... and one incident on the incidents topic, which is what `firewatch eval` counts.
    def paged(found: list[IncidentUpdate]) -> bool:
        return any(u.detail.startswith("escalation p1-page") for u in found)

    updates = await _read_updates(stack, paged)
    assert len({u.incident_key for u in updates}) == 1
    letters = await _read_all(stack, Topics.DEAD_LETTER, bool)
    letter = DeadLetter.model_validate_json(letters[0])
    assert letter.original_payload() == b"{not json"
    # Dead letters v2: named by the record's Kafka position, with a reason code.
    assert (letter.origin, letter.kafka_topic, letter.reason) == (
        DeadLetterOrigin.KAFKA,
        Topics.ALERTS,
        DeadLetterReason.INVALID_JSON,
    )
    assert letter.kafka_offset is not None


async def _read_all(stack: Stack, topic: str, is_done: Any) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[bytes] = []
    try:
        async with asyncio.timeout(15):
            while not is_done(found):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found += [r.value for r in records]
    finally:
        await consumer.stop()
    return found


def _encoded(revision: int, at: datetime) -> bytes:
    return encode_model(make_alert(revision=revision, at=at))
