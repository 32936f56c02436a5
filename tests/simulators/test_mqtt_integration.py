"""Publish, record and replay through a real Mosquitto (fixture `mosquitto`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from events.alerts import LinkageAction
from events.commands import Command
from events.connections import MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker
from simulators import runner, scenarios
from simulators.clock import PacedClock
from simulators.engine import Simulation
from simulators.fleet import load_fleet
from simulators.mqtt.recorder import Recorder
from simulators.recording import Record, RecordingWriter, read_records
from simulators.replay import plan

pytestmark = pytest.mark.integration


@pytest.fixture
def conn(mosquitto: MosquittoBroker) -> MqttConnection:
    return MqttConnection(host=mosquitto.host, port=mosquitto.port)


@pytest.fixture
def recorder(conn: MqttConnection, tmp_path: Path) -> Iterator[Recorder]:
    writer = RecordingWriter(tmp_path / "rec.jsonl")
    rec = Recorder(conn, writer, client_id="test-rec")
    rec.start()
    yield rec
    rec.stop()
    writer.close()


async def test_scenario_over_mqtt_arrives_complete_with_the_broker_will(
    conn: MqttConnection, recorder: Recorder, tmp_path: Path
) -> None:
    sc = scenarios.load_named("gateway_outage")
    sim = sc.build()
    offline = sim.start() + list(sim.run_until(sc.duration_s))
    result = await runner.run_scenario(sc, conn)
    assert recorder.wait_for(len(offline), 30)
    recorder.flush()
    got = sorted(r.payload for r in read_records(tmp_path / "rec.jsonl"))
    assert got == sorted(e.payload for e in offline)  # same bytes; the will came from the broker
    assert result.messages > 0
    will = [json.loads(p) for p in got if b'"is_last_will":true' in p]
    assert [w["gateway_id"] for w in will] == ["c001-gw1"]


def _send_command(conn: MqttConnection, cmd: Command) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "test-dispatch")
    client.connect(conn.host, conn.port)
    client.loop_start()
    client.publish(
        f"fw/v1/{cmd.compound_id}/{cmd.gateway_id}/{cmd.device_id}/cmd",
        cmd.model_dump_json(),
        qos=1,
    ).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


async def test_a_cut_power_command_is_read_back_as_relay_off(
    conn: MqttConnection, recorder: Recorder, tmp_path: Path
) -> None:
    sim = Simulation(load_fleet("example"), 4, datetime(2026, 3, 1, 20, tzinfo=UTC))
    task = asyncio.create_task(
        runner.run_simulation(sim, conn, until_s=240, clock=PacedClock(40.0))
    )
    await asyncio.to_thread(recorder.wait_for, 50, 20)  # the gateways are up and subscribed
    cmd = Command(
        command_id="c1",
        incident_key="k",
        action=LinkageAction.CUT_POWER,
        compound_id="c001",
        gateway_id="c001-gw2",
        device_id="c001-cs1-p04",
        issued_at=datetime.now(UTC),
    )
    await asyncio.to_thread(_send_command, conn, cmd)
    result = await task
    assert result.commands == 1
    await asyncio.to_thread(recorder.wait_idle, 0.5, 10)
    recorder.flush()
    port = [
        json.loads(r.payload)
        for r in read_records(tmp_path / "rec.jsonl")
        if "c001-cs1-p04/telemetry" in r.topic
    ]
    assert port[-1]["relay_state"] == "off"
    assert port[-1]["current_a"] == 0.0


def _timed_records() -> list[Record]:
    # 41 messages over 10 s with uneven gaps (0.1 s .. 0.4 s), one device.
    gaps = [0.1, 0.2, 0.4, 0.3] * 10
    t, out = 1000.0, []
    for i, gap in enumerate([0.0, *gaps]):
        t += gap
        body = {"device_id": "d1", "compound_id": "c1", "gateway_id": "g1", "seq": i}
        out.append(Record(t, "fw/v1/c1/g1/d1/telemetry", json.dumps(body).encode()))
    return out


async def test_replay_at_speed_10_keeps_scaled_gaps_and_order(
    conn: MqttConnection, recorder: Recorder, tmp_path: Path
) -> None:
    records = _timed_records()
    await runner.replay(plan(records, 10.0), conn)
    assert recorder.wait_for(len(records), 10)
    recorder.flush()
    got = list(read_records(tmp_path / "rec.jsonl"))
    assert [r.payload for r in got] == [r.payload for r in records]  # deterministic order
    span_ratio = (got[-1].t - got[0].t) / ((records[-1].t - records[0].t) / 10)
    assert 0.9 <= span_ratio <= 1.3
    ratios = [
        (b.t - a.t) / ((rb.t - ra.t) / 10)
        for (a, b), (ra, rb) in zip(
            itertools.pairwise(got), itertools.pairwise(records), strict=True
        )
    ]
    assert 0.7 <= statistics.median(ratios) <= 1.4


def test_recorder_marks_retained_messages(conn: MqttConnection, tmp_path: Path) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "test-retain")
    client.connect(conn.host, conn.port)
    client.loop_start()
    client.publish("fw/v1/c1/g1/status", b"{}", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    with RecordingWriter(tmp_path / "r.jsonl.gz") as writer:
        rec = Recorder(conn, writer, client_id="test-rec2")
        rec.start()
        assert rec.wait_for(1, 10)
        rec.stop()
    (record,) = read_records(tmp_path / "r.jsonl.gz")
    assert record.retain is True
    assert record.qos == 1
    assert threading.active_count() >= 1
