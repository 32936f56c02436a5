"""`firewatch up --demo`: the simulator's flat-fire scenario through the whole stack.

Publishes the scenario over MQTT (as fast as possible, timestamps ending now), waits for the
alerts the worker raises, scores them against the scenario's ground truth and prints the table;
the incidents are then on the duty console for the example compound's stations.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer

from events.alerts import Alert
from events.connections import KafkaConnection, KafkaFlavour
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
    report = evaluation.evaluate(result.ground_truth, alerts)
    print(evaluation.render_table(report), flush=True)
    log.info("demo: incidents are on the duty console at %s", endpoints.console_url)
    return report


async def read_alerts(bootstrap: str, idle_s: float) -> list[Alert]:
    """Every alert on the topic until none arrived for `idle_s` (the worker has caught up)."""
    # The embedded stack's Kafka (Tansu) listens on loopback without TLS (docs/SECURITY.md).
    kafka = KafkaConnection(bootstrap=bootstrap, flavour=KafkaFlavour.TANSU)
    consumer = AIOKafkaConsumer(
        Topics.ALERTS,
        **consumer_settings(kafka, client_id="fw-demo", group_id=None, fetch_max_wait_ms=50),
    )
    await consumer.start()
    out: list[Alert] = []
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for records in batch.values():
                out.extend(Alert.model_validate_json(r.value) for r in records)
    finally:
        await consumer.stop()
    return out
