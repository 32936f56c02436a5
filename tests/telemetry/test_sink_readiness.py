"""The sink's readiness follows its dependencies (issue #16 item 3): not ready until it holds
partitions of its group and Kafka answers; ready while the database takes writes; 503 naming
`influx.writing` once the database went away and a write failed, ready again when it is back;
503 naming `kafka.reachable` while Kafka is frozen, ready again after (real Tansu and
VictoriaMetrics, the sink's own health checks as /readyz serves them)."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from events.connections import KafkaConnection, KafkaFlavour
from firewatch.embedded.tansu import TansuBroker
from firewatch.embedded.victoria import VictoriaMetrics
from runtime.health import Health
from streams.telemetry.config import SinkConfig
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.service import run_sink
from tests.polling import wait_for
from tests.telemetry.producing import produce_readings
from tests.telemetry.scenario import compound_telemetry

pytestmark = pytest.mark.integration


async def test_readiness_follows_the_database_away_and_back(
    kafka: TansuBroker, victoria: VictoriaMetrics
) -> None:
    readings = compound_telemetry(seed=7, seconds=300, compound_id="c-0001")
    config = SinkConfig(
        url=victoria.url,
        token=None,
        batch_size=100,
        flush_interval_s=0.2,
        retry_initial_s=0.05,
        retry_max_s=0.5,
    )
    connection = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
    health = Health()
    assert health.readiness().ok  # nothing registered: the checks come with the sink
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_sink(config, connection, stop, SinkMetrics(CollectorRegistry()), health)
    )

    def failing() -> list[str]:
        return health.readiness().failing

    try:
        checks = {"sink.started", "kafka.reachable", "kafka.assigned", "influx.writing"}

        def is_ready() -> bool:
            report = health.readiness()
            return set(report.checks) == checks and report.ok

        await wait_for(is_ready, 60, what="started, partitions assigned: ready")
        victoria.stop()
        await produce_readings(kafka.bootstrap, readings)
        await wait_for(lambda: failing() == ["influx.writing"], 60, what="503 naming the database")
        victoria.start()  # same data directory, same port
        await wait_for(lambda: failing() == [], 60, what="ready again")
        kafka.process.pause()  # frozen: the assignment stays as it was, the probe sees it
        try:
            await wait_for(lambda: failing() == ["kafka.reachable"], 60, what="503 naming Kafka")
        finally:
            kafka.process.resume()
        await wait_for(lambda: failing() == [], 60, what="ready once Kafka answers")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert failing() == ["sink.started", "kafka.reachable"]  # stopped: not ready, and says why
