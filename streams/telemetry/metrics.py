"""Prometheus metrics of the telemetry sink (names follow the guide in firewatch/metrics.py)."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_BATCH_BUCKETS = (1, 10, 100, 500, 1_000, 2_000, 5_000, 10_000, 50_000)


class SinkMetrics:
    """One set per process; tests pass their own registry."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.records_consumed = Counter(
            "firewatch_sink_records_consumed_total",
            "Kafka records read by the sink",
            registry=registry,
        )
        self.points_written = Counter(
            "firewatch_sink_points_written_total",
            "Points the database accepted, by measurement (device kind)",
            ["measurement"],
            registry=registry,
        )
        self.batches = Counter("firewatch_sink_batches_total", "Batches written", registry=registry)
        self.write_retries = Counter(
            "firewatch_sink_write_retries_total",
            "Failed batch writes that will be retried, by error class",
            ["error"],
            registry=registry,
        )
        self.records_skipped = Counter(
            "firewatch_sink_records_skipped_total",
            "Records that are not readings (named in the log with topic/partition/offset)",
            ["reason"],
            registry=registry,
        )
        self.commit_failures = Counter(
            "firewatch_sink_commit_failures_total",
            "Offset commits refused (rebalance): the records are re-read, writes are idempotent",
            registry=registry,
        )
        self.batch_points = Histogram(
            "firewatch_sink_batch_points",
            "Points per written batch",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.write_seconds = Histogram(
            "firewatch_sink_write_seconds",
            "Time of one successful batch write",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "firewatch_sink_consumer_lag_records",
            "Records behind the partition high-water marks, summed over assigned partitions",
            registry=registry,
        )
        self.stalled = Gauge(
            "firewatch_sink_stalled",
            "1 while the database refuses writes and consumption is paused",
            registry=registry,
        )
        self.last_write = Gauge(
            "firewatch_sink_last_write_timestamp_seconds",
            "Unix time of the last successful write",
            registry=registry,
        )
