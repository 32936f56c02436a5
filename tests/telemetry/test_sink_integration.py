"""The sink against real servers: Tansu (Kafka protocol) in, VictoriaMetrics (InfluxDB v2 write
API) out. Counts and values read back match what was produced; a database restart mid-stream
loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from prometheus_client import CollectorRegistry

from events.connections import KafkaConnection, KafkaFlavour
from firewatch.embedded.tansu import TansuBroker
from firewatch.embedded.victoria import VictoriaMetrics
from streams.telemetry.config import SinkConfig
from streams.telemetry.lines import to_point
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.service import run_sink
from tests.polling import wait_for
from tests.telemetry.producing import produce_readings
from tests.telemetry.scenario import AnyReading, compound_telemetry

pytestmark = pytest.mark.integration

Sample = tuple[str, frozenset[tuple[str, str]], int]  # series name, labels, time in ms
MEASUREMENTS = "(smoke|charging_port|door|heartbeat|gateway_status|device_alarm)_.*"


def _expected(readings: Sequence[AnyReading]) -> dict[Sample, float]:
    """What VictoriaMetrics should hold: numeric and boolean fields (it stores strings as 0)."""
    out: dict[Sample, float] = {}
    for reading in readings:
        point = to_point(reading)
        for name, value in point.fields:
            if isinstance(value, str):
                continue
            key = (f"{point.measurement}_{name}", frozenset(point.tags), point.time_ns // 10**6)
            out[key] = float(value)
    return out


def _stored(victoria: VictoriaMetrics, expected: dict[Sample, float]) -> dict[Sample, float]:
    series_names = {name for name, _, _ in expected}
    out: dict[Sample, float] = {}
    for series in victoria.export(MEASUREMENTS):
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        if name not in series_names:
            continue  # a string field
        for value, ts in zip(series["values"], series["timestamps"], strict=True):
            key = (name, frozenset(labels.items()), ts)
            assert key not in out, f"duplicate sample {key}"
            out[key] = float(value)
    return out


async def _until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    await wait_for(condition, timeout_s, what=what, every_s=0.05)


def _sample(metrics: SinkMetrics, name: str, **labels: str) -> float:
    return float(metrics.registry.get_sample_value(name, labels) or 0.0)


def _written(metrics: SinkMetrics) -> float:
    return sum(
        sample.value
        for family in metrics.registry.collect()
        if family.name == "firewatch_sink_points_written"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


async def test_scenario_round_trips_and_survives_a_database_restart(
    kafka: TansuBroker, victoria: VictoriaMetrics
) -> None:
    readings = compound_telemetry(seed=42, seconds=900, compound_id="c-0001")
    readings += compound_telemetry(seed=43, seconds=900, compound_id="c-0002")
    first, second = readings[: len(readings) // 2], readings[len(readings) // 2 :]
    config = SinkConfig(
        url=victoria.url,
        token=None,
        batch_size=200,
        flush_interval_s=0.2,
        retry_initial_s=0.05,
        retry_max_s=0.5,
    )
    connection = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
    metrics = SinkMetrics(CollectorRegistry())
    stop = asyncio.Event()
    sink_task = asyncio.create_task(run_sink(config, connection, stop, metrics))
    try:
        await produce_readings(kafka.bootstrap, first)
        await _until(lambda: _written(metrics) >= len(first), "the first half written")
        assert _stored(victoria, _expected(first)) == pytest.approx(_expected(first))

        victoria.stop()  # the database goes away mid-stream
        await produce_readings(kafka.bootstrap, second)
        await _until(lambda: _sample(metrics, "firewatch_sink_stalled") == 1, "the sink to stall")
        await _until(
            lambda: _sample(metrics, "firewatch_sink_write_retries_total", error="connection") >= 3,
            "retries",
        )
        assert _written(metrics) == len(first)  # nothing claimed written while down

        victoria.start()  # same data directory, same port
        await _until(lambda: _written(metrics) >= len(readings), "the sink to catch up")
        assert _sample(metrics, "firewatch_sink_stalled") == 0
    finally:
        stop.set()
        await asyncio.wait_for(sink_task, 30)
    expected = _expected(readings)
    stored = _stored(victoria, expected)
    assert len(stored) == len(expected)
    assert stored == pytest.approx(expected)
    assert _written(metrics) == len(readings)  # each point written exactly once
