"""Named health checks and the one metrics-and-health server: /readyz says which check fails."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from runtime.health import Health
from runtime.metrics_server import MetricsServer, start_metrics_server


def test_readiness_names_the_failing_checks_in_registration_order() -> None:
    health = Health()
    connected = health.ready_flag("mqtt.connected")
    health.add_ready("kafka.writable", lambda: True)
    subscribed = health.ready_flag("mqtt.subscribed")
    report = health.readiness()
    assert not report.ok
    assert report.failing == ["mqtt.connected", "mqtt.subscribed"]
    connected.set()
    subscribed.set()
    assert health.readiness().ok
    subscribed.clear()
    assert health.readiness().failing == ["mqtt.subscribed"]


def test_a_check_that_raises_is_failing_with_its_error_named() -> None:
    health = Health()

    def broken() -> bool:
        raise RuntimeError("no state yet")

    health.add_live("loop", broken)
    report = health.liveness()
    assert report.failing == ["loop"]
    assert report.errors == {"loop": "RuntimeError('no state yet')"}


def test_no_checks_means_alive_and_ready_and_names_are_unique() -> None:
    health = Health()
    assert health.liveness().ok
    assert health.readiness().ok
    health.add_ready("x", lambda: True)
    with pytest.raises(ValueError, match="registered already"):
        health.add_ready("x", lambda: True)


def test_one_port_serves_metrics_liveness_and_readiness() -> None:
    registry = CollectorRegistry()
    Counter("firewatch_test_things_total", "things", registry=registry).inc(3)
    health = Health()
    subscribed = health.ready_flag("mqtt.telemetry.subscribed")
    server = MetricsServer(0, health, host="127.0.0.1", registry=registry).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert "firewatch_test_things_total 3.0" in metrics.text
        assert httpx.get(f"{base}/healthz").status_code == 200
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503  # prometheus_client's server could never say this
        assert not_ready.json()["failing"] == ["mqtt.telemetry.subscribed"]
        subscribed.set()
        ready = httpx.get(f"{base}/readyz")
        assert (ready.status_code, ready.json()["status"]) == (200, "ok")
        assert ready.json()["checks"] == {"mqtt.telemetry.subscribed": True}
        assert httpx.get(f"{base}/nothing").status_code == 404
        assert httpx.get(f"{base}/readyz?verbose=1").status_code == 200
    finally:
        server.stop()


def test_port_zero_means_off() -> None:
    assert start_metrics_server(0, Health()) is None
