"""`firewatch eval`: score the alerts a pipeline produced, and the incidents dispatch made of
them, against a scenario's ground truth.

    firewatch eval --scenario flat_fire --alerts alerts.jsonl --incidents incidents.jsonl
    firewatch eval --recording run.jsonl.gz --kafka --json
Exit code 1 when an expectation fails, a false alert was raised or an extra incident appeared.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, ValidationError

from events.alerts import Alert
from events.connections import KafkaConnection
from events.incidents import IncidentUpdate
from events.topics import Topics, topic_spec
from firewatch.settings import Settings
from simulators import evaluation, scenarios
from simulators.recording import read_header
from simulators.truth import GroundTruth

log = logging.getLogger("firewatch")
M = TypeVar("M", bound=BaseModel)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("eval", help="score alerts against ground truth")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--scenario", help="scenario name or file")
    src.add_argument("--recording", type=Path, help="recording whose header has ground truth")
    alerts = p.add_mutually_exclusive_group(required=True)
    alerts.add_argument("--alerts", type=Path, help="JSON lines of events.alerts.Alert")
    alerts.add_argument(
        "--kafka", action="store_true", help=f"read {Topics.ALERTS} and {Topics.INCIDENTS}"
    )
    p.add_argument("--incidents", type=Path, help="JSON lines of events.incidents.IncidentUpdate")
    p.add_argument("--bootstrap", default=None, help="Kafka bootstrap (default: settings)")
    p.add_argument("--start-at", default=None, help="ISO time the run started (t = 0)")
    p.add_argument("--idle-s", type=float, default=3.0, help="Kafka: stop after N s without alerts")
    p.add_argument("--json", action="store_true", help="JSON report instead of a table")
    p.set_defaults(func=run)


def _truth(args: argparse.Namespace) -> GroundTruth:
    start = datetime.fromisoformat(args.start_at) if args.start_at else None
    if args.scenario:
        path = Path(args.scenario)
        sc = (
            scenarios.load(path)
            if path.suffix in (".yaml", ".yml")
            else scenarios.load_named(args.scenario)
        )
        return sc.ground_truth(start_at=start)
    header = read_header(args.recording)
    if header is None or header.ground_truth is None:
        raise SystemExit(f"{args.recording} carries no ground truth")
    truth = header.ground_truth
    return truth.model_copy(update={"start_at": start}) if start else truth


async def read_kafka_alerts(conn: KafkaConnection, idle_s: float) -> list[Alert]:
    """Every alert on the alerts topic from the beginning, until idle (no end offsets: Tansu
    reports them wrongly, STACK-NOTES.md)."""
    return await _read_topic(conn, Topics.ALERTS, Alert, idle_s)


async def read_kafka_incidents(conn: KafkaConnection, idle_s: float) -> list[IncidentUpdate]:
    """Every incident update dispatch published, from the beginning, until idle."""
    return await _read_topic(conn, Topics.INCIDENTS, IncidentUpdate, idle_s)


async def _read_topic(conn: KafkaConnection, topic: str, model: type[M], idle_s: float) -> list[M]:
    consumer = AIOKafkaConsumer(bootstrap_servers=conn.bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[M] = []
    try:
        # Partitions from the topic table (events.topics), not from possibly stale metadata.
        tps = [TopicPartition(topic, p) for p in range(topic_spec(topic).partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batch:
                return found
            for msgs in batch.values():
                for m in msgs:
                    try:
                        found.append(model.model_validate_json(m.value))
                    except ValidationError as exc:
                        log.warning(
                            "skipping a malformed record on %s at offset %s: %s",
                            topic,
                            m.offset,
                            exc.errors()[:1],
                        )
    finally:
        await consumer.stop()


def run(args: argparse.Namespace, settings: Settings) -> int:
    truth = _truth(args)
    incidents = evaluation.read_incidents_file(args.incidents) if args.incidents else None
    if args.kafka:
        settings = settings.with_overrides(kafka={"bootstrap": args.bootstrap})
        log.info("effective config: %s", settings.masked_json())
        alerts = asyncio.run(read_kafka_alerts(settings.kafka, args.idle_s))
        incidents = asyncio.run(read_kafka_incidents(settings.kafka, args.idle_s))
    else:
        alerts = evaluation.read_alerts_file(args.alerts)
    report = evaluation.evaluate(truth, alerts, incidents)
    print(evaluation.to_json(report) if args.json else evaluation.render_table(report))
    return 0 if report.passed else 1
