"""Fire-family P1 conditions latch until a person resets them: dispatch's resolution of the
incident (an IncidentUpdate listing its conditions) clears each condition, once, and a
recurrence raises afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest

from events.alerts import Alert, AlertKind, AlertStatus
from events.codec import encode_model
from events.connections import KafkaConnection
from events.incidents import IncidentAction, IncidentState
from events.topics import Topics
from runtime.clock import ManualClock
from runtime.partitioner import partition_for
from streams.app import Worker, build_app
from streams.conditions import ConditionRecord, apply_finding, apply_reset
from streams.config import StreamsConfig
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Place, evidence
from streams.detectors.state import DeviceState
from streams.processor import DeviceProcessor, DictStore, Emitted
from streams.resets import ConditionReset, resets_of
from tests.streams.fixtures import T0, one_by_one, recording, records, resolution, smoke

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


def test_reset_unlatches_clears_once_and_a_recurrence_raises_afresh() -> None:
    store: dict[str, ConditionRecord] = {}
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
    # Above every revision dispatch saw: dispatch tells it from a replay by the revision.
    assert (again.status, again.revision, again.is_latched) == (AlertStatus.RAISED, 3, True)
    assert apply_reset(store, KEY, KEY, T0 + 600) is None  # the old resolution, replayed late
    second = apply_reset(store, KEY, f"{KEY}:2", T0 + 1200)
    assert second
    assert (second.status, second.revision) == (AlertStatus.CLEARED, 4)


def test_reset_of_a_condition_that_cleared_itself_or_never_existed_pages_nobody() -> None:
    store: dict[str, ConditionRecord] = {}
    key = "c1/b1/low_battery/s1"
    f = Finding(AlertKind.LOW_BATTERY, "s1", Place("c1", building_id="b1"), T0)
    assert apply_finding(store, f, T0)
    ended = Finding(AlertKind.LOW_BATTERY, "s1", Place("c1", building_id="b1"), T0, False)
    assert apply_finding(store, ended, T0 + 1)
    assert apply_reset(store, key, key, T0 + 2) is None
    assert store[key].resets == [key]
    assert apply_reset(store, "c1/b1/fire/nobody", "x", T0) is None


def test_only_a_resolution_resets_and_it_resets_every_condition_of_the_incident() -> None:
    fire = apply_finding({}, _fire("s1:1"), T0)
    area = apply_finding(
        {}, Finding(AlertKind.FIRE, "area:a1", Place("c1", None, "b1", 1, "a1"), T0), T0
    )
    assert fire
    assert area
    update = resolution([fire, area])
    assert [(r.condition_key, r.resolution_id) for r in resets_of(update)] == [
        (KEY, update.event_id),
        ("c1/b1/fire/area:a1", update.event_id),
    ]
    acknowledged = update.model_copy(
        update={"state": IncidentState.ACKNOWLEDGED, "action": IncidentAction.ACKNOWLEDGE}
    )
    assert resets_of(acknowledged) == []
    noted = update.model_copy(
        update={"from_state": IncidentState.RESOLVED, "action": IncidentAction.NOTE}
    )
    assert resets_of(noted) == []  # a note on a resolved incident is no second resolution
    reset = resets_of(update)[0]
    assert ConditionReset.decode(reset.encode()) == reset


def test_condition_records_round_trip_through_the_table() -> None:
    st = DeviceState(device_id="s1")
    assert apply_finding(st.conditions, _fire("s1:1"), T0)
    back = DeviceState.from_dict(st.to_dict())
    assert back.conditions == st.conditions
    assert back.conditions[KEY].place == Place("c1", "gw1", "b1", 1, "a1", "s1")
    assert "conditions" not in DeviceState(device_id="idle").to_dict()  # idle stays small


def test_device_processor_reset_survives_a_restart() -> None:
    clock, store = ManualClock.at_epoch_s(T0), DictStore()
    proc = DeviceProcessor(DeviceEngine(), clock, store, 12)
    out = Emitted()
    proc.on_reading(smoke("s1", 1, T0, temp_c=80.0), out)
    fire = next(a for a in out.alerts if a.kind is AlertKind.FIRE)
    assert fire.is_latched
    proc.reset(fire.condition_key, "inc:9", T0 + 600, out := Emitted())
    assert [(a.status, a.revision) for a in out.alerts] == [(AlertStatus.CLEARED, 2)]
    restarted = DeviceProcessor(DeviceEngine(), clock, store, 12)  # state from the table only
    restarted.reset(fire.condition_key, "inc:9", T0 + 600, out := Emitted())
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
        stack.enter_context(patch.object(built.sender, "send_batches", one_by_one(built)))
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
    with recording(worker, send):
        hot = encode_model(smoke("r1", 1, T0, temp_c=80.0))
        await worker.lanes["readings"](records(Topics.READINGS, [hot]))
        (fire,) = [a for a in _alerts(send) if a.kind is AlertKind.FIRE]
        update = resolution([fire])
        acknowledged = update.model_copy(update={"state": IncidentState.ACKNOWLEDGED})
        async with worker.agents["incidents"].test_context() as ctx:
            await ctx.put(encode_model(acknowledged))
            await ctx.put(encode_model(update), key=b"c1")
        forwarded = [c for c in send.call_args_list if "-condition-resets-" in c.args[0]]
        (reset,) = resets_of(update)
        resolve = reset.encode()
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
