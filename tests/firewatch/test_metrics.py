"""The metric catalogue every service follows (the endpoint: tests/runtime/test_health.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from firewatch.metrics import METRIC_NAMES, METRICS
from streams.telemetry.metrics import SinkMetrics


def test_catalogue_follows_the_naming_guide() -> None:
    assert len(METRIC_NAMES) == len(METRICS)
    for spec in METRICS:
        assert spec.name.startswith("firewatch_"), spec.name
        service = spec.name.split("_")[1]
        assert service in {"ingest", "worker", "dispatch", "sink"}, spec.name
        assert (spec.kind == "counter") == spec.name.endswith("_total"), spec.name
        assert not {"device", "device_id", "gateway", "compound"} & set(spec.labels), spec.name
        if spec.kind == "histogram" and not spec.name.endswith("_points"):
            assert spec.name.endswith("_seconds"), spec.name


def test_the_sink_exposes_exactly_its_catalogue_entries() -> None:
    metrics = SinkMetrics(CollectorRegistry())
    exposed: dict[str, str] = {}
    for family in metrics.registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        exposed[name] = family.type
    catalogue = {s.name: s.kind for s in METRICS if s.name.startswith("firewatch_sink_")}
    assert exposed == catalogue
