"""P1 incidents latch until a person resets them: dispatch's resolution (an IncidentTransition
on the incidents topic) clears the detector's incident, once, and a recurrence raises afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest

from events.alerts import Alert, AlertKind, AlertStatus, Severity
from events.codec import encode_model
from events.connections import KafkaConnection
from events.incidents import IncidentTransition
from events.topics import Topics
from runtime.clock import ManualClock
from runtime.partitioner import partition_for
from streams.app import Worker, build_app
from streams.config import StreamsConfig
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Place, evidence
from streams.incidents import apply_finding, apply_reset, is_resolution
from streams.processor import DeviceProcessor, DictStore, Emitted
from tests.streams.fixtures import T0, records, smoke

KEY = "c1/b1/fire/s1"


def _fire(event_id: str, *, active: bool = True, at_s: float = T0) -> Finding:
    return Finding(
        AlertKind.FIRE,
        "s1",
        Place("c1", "gw1", "b1", 1, "a1", "s1"),
        at_s,
        is_active=active,
        stage="confirmed",
        evidence=evidence(event_id, "s1", at_s),
    )


def _transition(alert_key: str, dispatch_key: str, *, to: str = "resolved") -> IncidentTransition:
    return IncidentTransition(
        incident_key=dispatch_key,
        alert_key=alert_key,
        incident_kind=AlertKind.FIRE,
        severity=Severity.P1,
        compound_id=alert_key.split("/", maxsplit=1)[0],
        action="resolve" if to == "resolved" else "note",
        from_state="assessed" if to == "resolved" else to,
        to_state=to,
        actor="duty:li",
        at=datetime.fromtimestamp(T0 + 600, tz=UTC),
        source="console",
    )


def test_reset_unlatches_clears_once_and_a_recurrence_raises_afresh() -> None:
    store: dict[str, dict[str, Any]] = {}
    raised = apply_finding(store, _fire("s1:1"), T0)
    assert raised
    assert raised.is_latched
    assert apply_finding(store, _fire("", active=False), T0 + 60) is None  # latched
    cleared = apply_reset(store, KEY, KEY, T0 + 600)
    assert cleared
    assert (cleared.status, cleared.revision, cleared.is_latched) == (AlertStatus.CLEARED, 2, False)
    assert (cleared.device_id, cleared.floor, cleared.area_id) == ("s1", 1, "a1")
    assert cleared.raised_at.timestamp() == T0 + 600
    assert apply_reset(store, KEY, KEY, T0 + 600) is None  # a replayed transition
    again = apply_finding(store, _fire("s1:9", at_s=T0 + 900), T0 + 900)
    assert again
    # Above every revision dispatch saw: dispatch opens it as KEY~2 (its re-raise rule).
    assert (again.status, again.revision, again.is_latched) == (AlertStatus.RAISED, 3, True)
    assert apply_reset(store, KEY, KEY, T0 + 600) is None  # the old resolution, replayed late
    second = apply_reset(store, KEY, f"{KEY}~2", T0 + 1200)
    assert second
    assert (second.status, second.revision) == (AlertStatus.CLEARED, 4)


def test_reset_of_an_incident_that_cleared_itself_or_never_existed_pages_nobody() -> None:
    store: dict[str, dict[str, Any]] = {}
    key = "c1/b1/low_battery/s1"
    f = Finding(AlertKind.LOW_BATTERY, "s1", Place("c1", building_id="b1"), T0)
    assert apply_finding(store, f, T0)
    ended = Finding(AlertKind.LOW_BATTERY, "s1", Place("c1", building_id="b1"), T0, False)
    assert apply_finding(store, ended, T0 + 1)
    assert apply_reset(store, key, key, T0 + 2) is None
    assert store[key]["resets"] == [key]
    assert apply_reset(store, "c1/b1/fire/nobody", "x", T0) is None


def test_only_a_resolution_is_a_reset() -> None:
    assert is_resolution(_transition(KEY, KEY))
    assert not is_resolution(_transition(KEY, KEY, to="acknowledged"))
    assert not is_resolution(_transition(KEY, KEY, to="resolved").model_copy(
        update={"from_state": "resolved", "action": "note"}
    ))  # fmt: skip


def test_device_processor_reset_survives_a_restart() -> None:
    clock, store = ManualClock.at_epoch_s(T0), DictStore()
    proc = DeviceProcessor(DeviceEngine(), clock, store, 12)
    out = Emitted()
    proc.on_reading(smoke("s1", 1, T0, temp_c=80.0), out)
    fire = next(a for a in out.alerts if a.kind is AlertKind.FIRE)
    assert fire.is_latched
    proc.reset(fire.incident_key, fire.incident_key, T0 + 600, out := Emitted())
    assert [(a.status, a.revision) for a in out.alerts] == [(AlertStatus.CLEARED, 2)]
    restarted = DeviceProcessor(DeviceEngine(), clock, store, 12)  # state from the table only
    restarted.reset(fire.incident_key, fire.incident_key, T0 + 600, out := Emitted())
    assert out.alerts == []
    restarted.reset("c1/b1/fire/unknown-device", "k", T0, out)
    assert out.alerts == []
    assert "unknown-device" not in restarted.cache


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """The app with its changelog writes recorded instead of produced (no broker here)."""
    built = build_app(
        StreamsConfig(app_id="fw-test-resets"), KafkaConnection(), clock=ManualClock.at_epoch_s(T0)
    )
    stores = [built.readings.store, built.priority.store, built.sequence.store]
    with ExitStack() as stack:
        for store in [*stores, built.compound.store]:
            stack.enter_context(patch.object(store, "drain", AsyncMock(return_value=None)))
        yield built


def _alerts(send: AsyncMock) -> list[Alert]:
    values = [c.args[2] for c in send.call_args_list if c.args[0] == Topics.ALERTS]
    return [Alert.model_validate_json(v) for v in values]


def _done(*_: Any, **__: Any) -> asyncio.Future[None]:
    """What the producer returns: the future of the broker's ack (acked at once here)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def test_a_resolution_reaches_every_stage_by_its_own_key_and_clears_once(
    worker: Worker,
) -> None:
    send = AsyncMock(side_effect=_done)
    with patch.object(worker.sender, "send", send):
        hot = encode_model(smoke("r1", 1, T0, temp_c=80.0))
        await worker.lanes["readings"](records(Topics.READINGS, [hot]))
        (fire,) = [a for a in _alerts(send) if a.kind is AlertKind.FIRE]
        resolve = encode_model(_transition(fire.incident_key, fire.incident_key))
        async with worker.agents["incidents"].test_context() as ctx:
            await ctx.put(encode_model(_transition(fire.incident_key, "x", to="acknowledged")))
            await ctx.put(resolve, key=b"c1")
        forwarded = [c for c in send.call_args_list if "-resets-" in c.args[0]]
        # One copy per stage, keyed and partitioned as that stage's own topic: the device
        # stages by device (readings has 12 partitions, priority and sequence 3), the
        # compound stage by compound (6).
        where = {
            c.args[0].rsplit("-", 1)[-1]: (c.args[1], c.kwargs["partition"]) for c in forwarded
        }
        assert where == {
            "readings": (b"r1", partition_for("r1", 12)),
            "priority": (b"r1", partition_for("r1", 3)),
            "sequence": (b"r1", partition_for("r1", 3)),
            "compound": (b"c1", partition_for("c1", 6)),
        }
        assert all(c.args[2] == resolve for c in forwarded)  # the acknowledgement stayed
        for stage in ("priority", "sequence", "compound"):  # they do not hold it: no-ops
            async with worker.agents[f"resets-{stage}"].test_context() as ctx:
                await ctx.put(resolve)
        async with worker.agents["resets-readings"].test_context() as ctx:
            await ctx.put(resolve, key=b"r1")
            await ctx.put(resolve, key=b"r1")  # the replay
    statuses = [(a.status, a.revision) for a in _alerts(send) if a.kind is AlertKind.FIRE]
    assert statuses == [(AlertStatus.RAISED, 1), (AlertStatus.CLEARED, 2)]
