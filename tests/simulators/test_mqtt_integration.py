"""Publish, record and replay through a real Mosquitto (fixture `mosquitto`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from events.alerts import LinkageAction
from events.commands import Command
from events.connections import MqttConnection
from firewatch.cli import main
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.process import free_port
from simulators import runner, scenarios
from simulators.clock import PacedClock
from simulators.engine import Simulation
from simulators.fleet import load_fleet
from simulators.mqtt.recorder import Recorder
from simulators.recording import Record, RecordingWriter, read_records, write_recording
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


@pytest.mark.parametrize("is_fast", [True, False], ids=["fastpub", "paho"])
async def test_replay_at_speed_10_keeps_scaled_gaps_and_order(
    conn: MqttConnection, recorder: Recorder, tmp_path: Path, is_fast: bool
) -> None:
    records = _timed_records()
    await runner.replay(plan(records, 10.0), conn, is_fast=is_fast)
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


async def test_replay_max_speed_publishes_everything_with_qos_and_retain(
    conn: MqttConnection, recorder: Recorder, tmp_path: Path
) -> None:
    records = [
        Record(float(i), f"fw/v1/c{i % 3}/g1/d{i % 7}/telemetry", f"m{i}".encode(), qos=i % 2)
        for i in range(3000)
    ]
    result = await runner.replay(plan(records, None), conn)
    assert result.messages == 3000
    assert recorder.wait_for(3000, 20)
    recorder.flush()
    got = list(read_records(tmp_path / "rec.jsonl"))
    assert sorted(r.payload for r in got) == sorted(r.payload for r in records)
    # MQTT orders per topic and QoS level (MQTT 3.1.1 §4.6): check exactly that.
    topic = "fw/v1/c1/g1/d1/telemetry"
    sent = [r.payload for r in records if r.topic == topic and r.qos == 1]
    assert [r.payload for r in got if r.topic == topic and r.qos == 1] == sent


def test_cli_replay_summary_says_when_kafka_is_not_there(
    mosquitto: MosquittoBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "in.jsonl.gz"
    write_recording(rec, _timed_records(), None)
    args = [
        "replay",
        str(rec),
        "--speed",
        "max",
        "--port",
        str(mosquitto.port),
        "--remap",
        "c1=c9",
        "--paho",
        "--json",
        "--kafka-bootstrap",
        f"127.0.0.1:{free_port()}",  # nothing listens: the read-back is skipped, not fatal
    ]
    assert main(args) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert summary["published"] == 41
    assert summary["speed"] == "max"
    assert summary["readback"].startswith("skipped: Kafka at 127.0.0.1:")
    assert "\r" not in out.err  # no progress bar when stderr is not a terminal
