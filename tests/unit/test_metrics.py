"""The shared metrics endpoint and the metric catalogue every service follows."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, Counter

from firewatch.embedded.process import free_port
from firewatch.metrics import METRIC_NAMES, METRICS, MetricsServer, start_metrics_server
from streams.telemetry.metrics import SinkMetrics


def test_one_port_serves_metrics_liveness_and_readiness() -> None:
    registry = CollectorRegistry()
    Counter("firewatch_test_things_total", "things", registry=registry).inc(3)
    ready = {"value": False}
    server = MetricsServer(
        free_port(), "127.0.0.1", registry, is_live=lambda: True, is_ready=lambda: ready["value"]
    ).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert "firewatch_test_things_total 3.0" in metrics.text
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/readyz").status_code == 503
        ready["value"] = True
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert httpx.get(f"{base}/nothing").status_code == 404
    finally:
        server.stop()


def test_port_zero_means_off() -> None:
    assert start_metrics_server(0) is None


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
