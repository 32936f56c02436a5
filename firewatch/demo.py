"""`firewatch up --demo`: the simulator's flat-fire scenario through the whole stack.

Publishes the scenario over MQTT (as fast as possible, timestamps ending now), waits for the
alerts the worker raises and the incidents dispatch makes of them, scores both against the
scenario's ground truth and prints the table; the incident is then on the duty console.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer

from events.alerts import Alert
from events.connections import KafkaConnection, KafkaFlavour
from events.incidents import IncidentUpdate
from events.topics import Topics
from firewatch.stack import Endpoints
from runtime.kafka import consumer_settings
from simulators import evaluation, runner, scenarios

log = logging.getLogger(__name__)

DEMO_SCENARIO = "flat_fire"


def run_demo(endpoints: Endpoints, idle_s: float = 8.0) -> evaluation.Report:
    return asyncio.run(_demo(endpoints, idle_s))


async def _demo(endpoints: Endpoints, idle_s: float) -> evaluation.Report:
    scenario = scenarios.load_named(DEMO_SCENARIO)
    # The bridge rejects readings older than its window: end the scenario a little before now.
    start = datetime.now(UTC) - timedelta(seconds=scenario.duration_s + 60)
    # Each of the scenario's gateways logs in with its own generated credential.
    conn = endpoints.gateway_connection()
    result = await runner.run_scenario(scenario, conn, start_at=start)
    log.info("demo: published %d messages of scenario %s", result.messages, DEMO_SCENARIO)
    assert result.ground_truth is not None
    alerts = await read_alerts(endpoints.kafka_bootstrap, idle_s)
    incidents = await read_incidents(endpoints.kafka_bootstrap, idle_s)
    report = evaluation.evaluate(result.ground_truth, alerts, incidents)
    print(evaluation.render_table(report), flush=True)
    log.info("demo: incidents are on the duty console at %s", endpoints.console_url)
    return report


async def read_alerts(bootstrap: str, idle_s: float) -> list[Alert]:
    """Every alert on the topic until none arrived for `idle_s` (the worker has caught up)."""
    return [Alert.model_validate_json(v) for v in await _read(bootstrap, Topics.ALERTS, idle_s)]


async def read_incidents(bootstrap: str, idle_s: float) -> list[IncidentUpdate]:
    """Every incident update dispatch published until none arrived for `idle_s`."""
    values = await _read(bootstrap, Topics.INCIDENTS, idle_s)
    return [IncidentUpdate.model_validate_json(v) for v in values]


async def _read(bootstrap: str, topic: str, idle_s: float) -> list[bytes]:
    # The embedded stack's Kafka (Tansu) listens on loopback without TLS (docs/SECURITY.md).
    kafka = KafkaConnection(bootstrap=bootstrap, flavour=KafkaFlavour.TANSU)
    consumer = AIOKafkaConsumer(
        topic,
        **consumer_settings(kafka, client_id="fw-demo", group_id=None, fetch_max_wait_ms=50),
    )
    await consumer.start()
    out: list[bytes] = []
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for records in batch.values():
                out.extend(r.value for r in records)
    finally:
        await consumer.stop()
    return out
