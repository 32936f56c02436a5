"""Prometheus metrics of the telemetry sink, created from runtime/metrics_catalogue.py."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry

from runtime.metrics_catalogue import counter, gauge, histogram

_BATCH_BUCKETS = (1, 10, 100, 500, 1_000, 2_000, 5_000, 10_000, 50_000)


class SinkMetrics:
    """One set per process; tests pass their own registry."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = r = registry
        self.records_consumed = counter("firewatch_sink_records_consumed_total", r)
        self.points_written = counter("firewatch_sink_points_written_total", r)
        self.batches = counter("firewatch_sink_batches_total", r)
        self.write_retries = counter("firewatch_sink_write_retries_total", r)
        self.records_skipped = counter("firewatch_sink_records_skipped_total", r)
        self.commit_failures = counter("firewatch_sink_commit_failures_total", r)
        self.batch_points = histogram("firewatch_sink_batch_points", r, buckets=_BATCH_BUCKETS)
        self.write_seconds = histogram("firewatch_sink_write_seconds", r)
        self.consumer_lag = gauge("firewatch_sink_consumer_lag_records", r)
        self.stalled = gauge("firewatch_sink_stalled", r)
        self.last_write = gauge("firewatch_sink_last_write_timestamp_seconds", r)
