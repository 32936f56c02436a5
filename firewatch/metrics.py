"""Prometheus metrics for every service: the `--metrics-port` flag, the naming guide, the catalogue.

Each service command takes `--metrics-port` (0 = off) and starts runtime.metrics_server, which
serves `/metrics` (Prometheus text format), `/healthz` (liveness) and `/readyz` (readiness, the
service's named checks) on one port, so Kubernetes probes and Prometheus scrapes share it.

Naming guide (follows https://prometheus.io/docs/practices/naming/):
- `firewatch_<service>_<what>_<unit>`; service is `ingest`, `worker`, `dispatch`, `sink`.
- Counters end in `_total`; durations are histograms in `_seconds`; sizes in `_bytes`; record
  counts in a gauge end in `_records`; a 0/1 state gauge is a plain adjective (`_stalled`).
- Labels take a handful of values (`reason`, `severity`, `kind`, `lane`, `channel`,
  `measurement`): never a device, gateway or compound id (millions of series at city scale);
  per-device detail goes to logs, Kafka topics and InfluxDB.
- A reason label uses the stable codes of the contract (`DeadLetterReason`, `Severity`, ...).

`METRICS` below is the catalogue every service is expected to expose; deploy/ dashboards and
alert rules may only use names listed here (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: MetricKind
    labels: tuple[str, ...]
    help: str


def _m(name: str, kind: MetricKind, labels: str, help_text: str) -> MetricSpec:
    return MetricSpec(name, kind, tuple(labels.split()), help_text)


METRICS: tuple[MetricSpec, ...] = (
    # ingest: MQTT -> Kafka bridge
    _m("firewatch_ingest_received_total", "counter", "lane", "MQTT messages received"),
    _m("firewatch_ingest_acked_total", "counter", "lane", "MQTT messages acked after the write"),
    _m("firewatch_ingest_skipped_total", "counter", "lane", "not the lane's (commands, pages)"),
    _m("firewatch_ingest_published_total", "counter", "topic", "Kafka records acknowledged"),
    _m("firewatch_ingest_dead_lettered_total", "counter", "reason", "messages dead-lettered"),
    _m("firewatch_ingest_sequence_gaps_total", "counter", "", "sequence gaps detected"),
    _m("firewatch_ingest_missing_readings_total", "counter", "", "readings missing in gaps"),
    _m("firewatch_ingest_sequence_anomalies_total", "counter", "anomaly", "gap, late, healed..."),
    _m("firewatch_ingest_resend_requests_total", "counter", "", "resend requests to gateways"),
    _m("firewatch_ingest_in_flight", "gauge", "lane", "received, not yet acknowledged to MQTT"),
    _m("firewatch_ingest_in_flight_peak", "gauge", "lane", "the most in flight (<= window)"),
    _m("firewatch_ingest_window_holds_total", "counter", "lane", "reads held, window full"),
    _m("firewatch_ingest_mqtt_connected", "gauge", "lane", "1 while the MQTT session is up"),
    _m("firewatch_ingest_kafka_retries_total", "counter", "", "Kafka writes retried"),
    # 0 while the bridge holds everything: Kafka lost its data (ingest/kafka_integrity.py).
    _m("firewatch_ingest_kafka_intact", "gauge", "", "1 while Kafka holds what was written"),
    _m("firewatch_ingest_kafka_data_lost_total", "counter", "", "times Kafka lost its data"),
    # worker: Faust detectors
    _m("firewatch_worker_readings_processed_total", "counter", "kind", "readings processed"),
    _m("firewatch_worker_consumer_lag_records", "gauge", "topic", "records behind high water"),
    _m("firewatch_worker_alerts_total", "counter", "severity kind", "alerts raised or updated"),
    _m("firewatch_worker_device_to_alert_seconds", "histogram", "severity", "observed -> alert"),
    _m("firewatch_worker_devices_offline", "gauge", "", "devices past their heartbeat deadline"),
    _m("firewatch_worker_gateways_offline", "gauge", "", "gateways offline (last will or silent)"),
    # dispatch: incidents, escalation, notifications, linkage commands
    _m("firewatch_dispatch_alerts_received_total", "counter", "severity", "alerts consumed"),
    _m("firewatch_dispatch_incidents_open", "gauge", "severity", "incidents not closed"),
    _m("firewatch_dispatch_escalations_total", "counter", "level", "escalation steps taken"),
    _m("firewatch_dispatch_notifications_total", "counter", "channel", "notifications sent"),
    _m("firewatch_dispatch_notification_failures_total", "counter", "channel", "sends failed"),
    _m(
        "firewatch_dispatch_alert_to_notification_seconds",
        "histogram",
        "channel",
        "alert created -> notification sent",
    ),
    _m("firewatch_dispatch_commands_total", "counter", "action", "linkage commands issued"),
    _m(
        "firewatch_dispatch_commands_unconfirmed_total",
        "counter",
        "action",
        "commands whose read-back deadline passed",
    ),
    _m("firewatch_dispatch_consumer_lag_records", "gauge", "topic", "records behind high water"),
    # sink: telemetry to InfluxDB (streams/telemetry/metrics.py)
    _m("firewatch_sink_records_consumed_total", "counter", "", "Kafka records read"),
    _m("firewatch_sink_points_written_total", "counter", "measurement", "points accepted"),
    _m("firewatch_sink_batches_total", "counter", "", "batches written"),
    _m("firewatch_sink_write_retries_total", "counter", "error", "failed writes, retried"),
    _m("firewatch_sink_records_skipped_total", "counter", "reason", "records not readings"),
    _m("firewatch_sink_commit_failures_total", "counter", "", "offset commits refused"),
    _m("firewatch_sink_batch_points", "histogram", "", "points per batch"),
    _m("firewatch_sink_write_seconds", "histogram", "", "duration of a batch write"),
    _m("firewatch_sink_consumer_lag_records", "gauge", "", "records behind high water"),
    _m("firewatch_sink_stalled", "gauge", "", "1 while writes fail and consumption is paused"),
    _m("firewatch_sink_last_write_timestamp_seconds", "gauge", "", "time of the last write"),
)

METRIC_NAMES: frozenset[str] = frozenset(spec.name for spec in METRICS)
