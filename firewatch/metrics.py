"""Prometheus metrics for every service: the `--metrics-port` flag and where the catalogue is.

Each service command takes `--metrics-port` (0 = off) and starts runtime.metrics_server, which
serves `/metrics` (Prometheus text format), `/healthz` (liveness) and `/readyz` (readiness, the
service's named checks) on one port, so Kubernetes probes and Prometheus scrapes share it.

The catalogue and the naming guide live in runtime/metrics_catalogue.py, below every stage, so
each stage creates its metric objects from it; re-exported here for the composition root.
"""

from __future__ import annotations

from runtime.metrics_catalogue import METRIC_NAMES, METRICS, MetricSpec

__all__ = ["METRICS", "METRIC_NAMES", "MetricSpec"]
