"""`firewatch bench dispatch`: alert record produced -> page delivered to the station terminal
(MQTT), p50 / p99, while one incident storms at 1,000 alerts a second. Each measured alert is
a fire in a building of its own, so each opens an incident of its own (alerts.grouping).

Raw baseline, same run, same brokers: a record produced to Kafka, consumed and re-published
to MQTT by a bare forwarder, received by the same kind of subscriber. ratio = dispatch / raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from alerts.config import DispatchConfig
from alerts.ledger.report import percentile
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.registry import EXAMPLE_DIR
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from alerts.service.runner import DispatchService
from benchmarks import run_bench
from events.alerts import DEFAULT_SEVERITY, Alert, AlertKind, AlertStatus, condition_key
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.incidents import IncidentPlace, PlaceScope, incident_key
from events.topics import Topics, TopicSpec
from firewatch.commands.console import phase
from firewatch.embedded.mosquitto import start_mosquitto
from firewatch.embedded.tansu import start_tansu
from firewatch.kafka_admin import ensure_topics
from firewatch.settings import Settings

RAW_TOPIC = "fw.bench.raw.v1"
COMPOUND = "c001"


class Arrivals:
    """MQTT subscriber that notes the first arrival time of each key."""

    def __init__(self, port: int, topic: str, key_field: str) -> None:
        self.first: dict[str, float] = {}
        self.per_key: dict[str, int] = {}
        self._lock = threading.Lock()
        self._key = key_field
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{topic[:10]}")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        at = time.time()
        key = json.loads(msg.payload)[self._key]
        with self._lock:
            self.per_key[key] = self.per_key.get(key, 0) + 1
            self.first.setdefault(key, at)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _alert(device: str, revision: int, building: str = "b1") -> Alert:
    now = datetime.now(UTC)
    kind = AlertKind.FIRE
    return Alert(
        condition_key=condition_key(COMPOUND, building, kind, device),
        revision=revision,
        kind=kind,
        severity=DEFAULT_SEVERITY[kind],
        status=AlertStatus.RAISED,
        compound_id=COMPOUND,
        building_id=building,
        device_id=device,
        gateway_id="gw-1",
        onset_at=now,
        raised_at=now,
        summary=f"bench fire at {device}",
    )


def _incident_of(alert: Alert) -> str:
    """The key dispatch gives the incident this alert opens (its building, its time)."""
    place = IncidentPlace(
        compound_id=alert.compound_id,
        scope=PlaceScope.BUILDING,
        place_id=alert.building_id or "",
        building_id=alert.building_id,
    )
    return incident_key(place, alert.raised_at)


def _stats(latencies_ms: list[float], sent: int) -> dict[str, Any]:
    return {
        "measured": len(latencies_ms),
        "sent": sent,
        "p50_ms": round(percentile(latencies_ms, 50) or 0.0, 2),
        "p99_ms": round(percentile(latencies_ms, 99) or 0.0, 2),
        "max_ms": round(max(latencies_ms, default=0.0), 2),
    }


async def _wait(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110 - paho threads: poll
        await asyncio.sleep(0.01)


async def _raw_baseline(bootstrap: str, mqtt_port: int, count: int, gap_s: float) -> dict[str, Any]:
    await ensure_topics(bootstrap, [TopicSpec(RAW_TOPIC, "bench", "key", 1)])
    arrivals = Arrivals(mqtt_port, "bench/raw", "k")
    forwarder = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw-forwarder")
    forwarder.connect("127.0.0.1", mqtt_port)
    forwarder.loop_start()
    # Same fetch wait as the dispatch consumers, so the baseline is like for like.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, fetch_max_wait_ms=DispatchConfig().fetch_max_wait_ms
    )
    await consumer.start()
    consumer.assign([TopicPartition(RAW_TOPIC, 0)])
    await consumer.seek_to_beginning()

    async def forward() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    forwarder.publish("bench/raw", r.value, qos=1)

    task = asyncio.create_task(forward())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    sent: dict[str, float] = {}
    for i in range(count):
        key = f"r{i}"
        sent[key] = time.time()
        await producer.send(RAW_TOPIC, json.dumps({"k": key}).encode(), key=key.encode())
        await asyncio.sleep(gap_s)
    await _wait(lambda: len(arrivals.first) >= count, 10.0)
    task.cancel()
    await producer.stop()
    await consumer.stop()
    forwarder.loop_stop()
    arrivals.stop()
    lat = [(arrivals.first[k] - t) * 1000 for k, t in sent.items() if k in arrivals.first]
    return _stats(lat, count)


async def _storm(producer: AIOKafkaProducer, rate: float, seconds: float) -> int:
    loop = asyncio.get_running_loop()
    start, sent = loop.time(), 0
    while loop.time() - start < seconds:
        sent += 1
        await producer.send(
            Topics.ALERTS, encode_model(_alert("sd-storm", sent)), key=COMPOUND.encode()
        )
        if sent % 10 == 0:
            await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
    return sent


async def _measured(producer: AIOKafkaProducer, count: int, gap_s: float) -> dict[str, float]:
    sent: dict[str, float] = {}
    for i in range(count):
        alert = _alert(f"sd-{i:04d}", 1, building=f"bench-b{i:04d}")
        sent[_incident_of(alert)] = time.time()
        await producer.send(Topics.ALERTS, encode_model(alert), key=COMPOUND.encode())
        await asyncio.sleep(gap_s)
    return sent


async def run(incidents: int, storm_rate: float, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fw-bench-dispatch-") as tmp:
        tansu = start_tansu(log_path=Path(tmp) / "tansu.log")
        mosq = start_mosquitto(Path(tmp) / "mosquitto", log_path=Path(tmp) / "mosq.log")
        try:
            await ensure_topics(tansu.bootstrap, partitions=1)
            gap_s = seconds / max(1, incidents)
            phase("raw baseline", of=2)
            raw = await _raw_baseline(tansu.bootstrap, mosq.port, incidents, gap_s)
            phase("dispatch under the storm", of=2)
            result = await _dispatch(
                Path(tmp), tansu.bootstrap, mosq.port, incidents, storm_rate, seconds
            )
        finally:
            mosq.process.stop()
            tansu.process.stop()
    p99, raw_p99 = result["latency"]["p99_ms"], raw["p99_ms"]
    p50, raw_p50 = result["latency"]["p50_ms"], raw["p50_ms"]
    return {
        "bench": "dispatch",
        "path": "alert record produced -> page on the station terminal (MQTT) received",
        **result,
        "raw_baseline": {"path": "Kafka produce -> consume -> MQTT publish -> receive", **raw},
        "ratio_p50": round(p50 / raw_p50, 2) if raw_p50 else None,
        "ratio_p99": round(p99 / raw_p99, 2) if raw_p99 else None,
        "target_p99_ms": 50.0,
        "meets_target": p99 <= 50.0,
    }


def _storm_summary(
    service: DispatchService, arrivals: Arrivals, sent: int, seconds: float
) -> dict[str, Any]:
    storm = [i for i in service.open_incidents() if i.place.place_id == "b1"]
    storm_key = storm[0].incident_key if storm else ""
    pages = service.ledger.db.query(
        "SELECT COUNT(*), COUNT(DISTINCT recipient) FROM notifications WHERE incident_key = ?",
        (storm_key,),
    )[0]
    return {
        "alerts_sent": sent,
        "rate_per_s": round(sent / seconds, 1),
        "incidents": len(storm),
        "recipients_paged": pages[1],
        "pages_recorded": pages[0],
        "terminal_pages_received": arrivals.per_key.get(storm_key, 0),
    }


async def _dispatch(  # noqa: PLR0917 - one parameter per bench option
    tmp: Path, bootstrap: str, mqtt_port: int, incidents: int, storm_rate: float, seconds: float
) -> dict[str, Any]:
    config = DispatchConfig(
        registry_dir=EXAMPLE_DIR,
        database_url=SecretStr(f"sqlite:///{tmp}/ledger.db"),
        console_port=0,
    )
    kafka = KafkaConnection(
        bootstrap=bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    # Every member is reached on the console: a recording stand-in for a console each member
    # keeps open (a console page to nobody's open console is not delivered, and an unreached
    # member would pull the next ladder step into the measurement).
    service = build_dispatch_service(
        config,
        kafka,
        MqttConnection(port=mqtt_port),
        forwarder=RecordingForwarder119(),
        extra_channels={ContactChannel.CONSOLE: RecordingChannel()},
    )
    arrivals = Arrivals(mqtt_port, "fw/v1/terminals/+/page", "incident_key")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    await service.start()
    try:
        await service.wait_ready()
        storm = asyncio.create_task(_storm(producer, storm_rate, seconds))
        sent = await _measured(producer, incidents, seconds / max(1, incidents))
        storm_sent = await storm
        await producer.flush()
        await _wait(lambda: service.dispatcher.alerts_seen >= storm_sent + incidents, 60.0)
        await _wait(lambda: len(arrivals.first) >= incidents + 1, 10.0)
        lat = [(arrivals.first[k] - t) * 1000 for k, t in sent.items() if k in arrivals.first]
        return {
            "latency": _stats(lat, incidents),
            "storm": _storm_summary(service, arrivals, storm_sent, seconds),
            "alerts_consumed": service.dispatcher.alerts_seen,
            "pages_delivered": service.pager.delivered,
        }
    finally:
        await service.stop()
        await producer.stop()
        arrivals.stop()


@click.command(
    "dispatch",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench dispatch --incidents 100 --storm-rate 500",
)
@click.option("--incidents", type=int, default=200, help="New incidents measured.")
@click.option("--storm-rate", type=float, default=1000.0, help="Storm alerts/s.")
@click.option("--seconds", type=float, default=10.0, help="Storm duration.")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Alert record -> notification delivered under a 1,000/s alert storm."""
    return run_bench(ctx, "dispatch", _main, opts)


def _main(args: argparse.Namespace, settings: Settings) -> int:
    result = asyncio.run(run(args.incidents, args.storm_rate, args.seconds))
    print(json.dumps(result, indent=2))
    return 0
