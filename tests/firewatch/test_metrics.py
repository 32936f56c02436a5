"""The metric catalogue every service follows (the endpoint: tests/runtime/test_health.py;
what running services export: tests/deploy/test_compose_start.py)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

import streams.metrics  # noqa: F401 - registers the worker's metrics on the default registry
from alerts.feeds.hub import FeedMetrics
from alerts.service.metrics import DispatchMetrics
from runtime.metrics_catalogue import METRIC_NAMES, METRICS, counter
from streams.telemetry.metrics import SinkMetrics

_TOOLS = ("replay", "recorder", "sim")


def test_catalogue_follows_the_naming_guide() -> None:
    assert len(METRIC_NAMES) == len(METRICS)
    for spec in METRICS:
        assert spec.name.startswith("firewatch_"), spec.name
        service = spec.name.split("_")[1]
        assert service in {"ingest", "streams", "dispatch", "feeds", "sink", *_TOOLS}, spec.name
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


def _exposed(registry: CollectorRegistry) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (kind, labels) of every family a registry declares (samples or not)."""
    exposed = {}
    for metric in registry._collector_to_names:  # the declared collectors (private API)
        if not hasattr(metric, "describe"):
            continue  # the process and GC collectors of the default registry
        for family in metric.describe():
            name = family.name + ("_total" if family.type == "counter" else "")
            labels = getattr(metric, "_labelnames", ())
            exposed[name] = (family.type, tuple(labels))
    return exposed


def _catalogued(*prefixes: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {s.name: (s.kind, s.labels) for s in METRICS if s.name.startswith(prefixes)}


def test_dispatch_and_feeds_expose_exactly_their_catalogue_entries() -> None:
    dispatch, feeds = DispatchMetrics(CollectorRegistry()), FeedMetrics(CollectorRegistry())
    assert _exposed(dispatch.registry) == _catalogued("firewatch_dispatch_")
    assert _exposed(feeds.registry) == _catalogued("firewatch_feeds_")


def test_the_worker_exposes_exactly_its_catalogue_entries() -> None:
    worker = {n: v for n, v in _exposed(REGISTRY).items() if n.startswith("firewatch_streams_")}
    assert worker == _catalogued("firewatch_streams_")


def test_a_metric_not_catalogued_or_of_another_kind_is_refused() -> None:
    with pytest.raises(KeyError, match=r"not in runtime/metrics_catalogue\.py"):
        counter("firewatch_dispatch_made_up_total", CollectorRegistry())
    with pytest.raises(TypeError, match="is a gauge, not a counter"):
        counter("firewatch_sink_stalled", CollectorRegistry())
