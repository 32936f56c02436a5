"""The catalogue of every Prometheus metric a Firewatch service exposes, and the constructors
that create the metric objects from it: a name, kind, label set or help text exists once, here.

Every service's metric objects are made by `counter()`, `gauge()` and `histogram()` below (or,
for the bridge's scrape-time collector, `family()`), so what a process exports is what this
catalogue says; deploy/ dashboards and alert rules may only use names listed here, and
tests/deploy/test_compose_start.py scrapes the running services to prove they do.

Naming guide (follows https://prometheus.io/docs/practices/naming/):
- `firewatch_<part>_<what>_<unit>`; part is `ingest`, `streams` (the worker), `dispatch`,
  `feeds` (dispatch's outbound feeds) or `sink`; the tools `replay`, `recorder` and `sim`.
- Counters end in `_total`; durations are histograms in `_seconds`; sizes in `_bytes`; record
  counts in a gauge end in `_records`; a 0/1 state gauge is a plain adjective (`_stalled`).
- Labels take a handful of values (`reason`, `result`, `kind`, `lane`, `action`,
  `measurement`): never a device, gateway or compound id (millions of series at city scale);
  per-device detail goes to logs, Kafka topics, InfluxDB and the ledger (Grafana's ledger
  panels read it there).
- A reason label uses the stable codes of the contract (`DeadLetterReason`, `AlertKind`, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

MetricKind = Literal["counter", "gauge", "histogram"]
Family = CounterMetricFamily | GaugeMetricFamily
_M = TypeVar("_M", Counter, Gauge, Histogram)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: MetricKind
    labels: tuple[str, ...]
    help: str


def _m(name: str, kind: MetricKind, labels: str, help_text: str) -> MetricSpec:
    return MetricSpec(name, kind, tuple(labels.split()), help_text)


_INGEST = (
    # ingest: MQTT -> Kafka bridge, read at scrape time from BridgeStats (ingest/metrics.py)
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
    _m("firewatch_ingest_kafka_writes_total", "counter", "lane", "Kafka writes (batches)"),
    _m("firewatch_ingest_held_writes_total", "counter", "lane", "writes held to gather more"),
    _m("firewatch_ingest_urgent_batches_total", "counter", "lane", "batches that ended a hold"),
    _m("firewatch_ingest_mqtt_connected", "gauge", "lane", "1 while the MQTT session is up"),
    _m("firewatch_ingest_kafka_retries_total", "counter", "", "Kafka writes retried"),
    # 0 while the bridge holds everything: Kafka lost its data (ingest/kafka_integrity.py).
    _m("firewatch_ingest_kafka_intact", "gauge", "", "1 while Kafka holds what was written"),
    _m("firewatch_ingest_kafka_data_lost_total", "counter", "", "times Kafka lost its data"),
)

_STREAMS = (
    # worker: Faust detectors (streams/metrics.py)
    _m("firewatch_streams_events_total", "counter", "topic", "records consumed"),
    _m("firewatch_streams_duplicates_total", "counter", "", "readings dropped as replays"),
    _m("firewatch_streams_dead_letters_total", "counter", "topic", "undecodable records"),
    _m("firewatch_streams_alerts_total", "counter", "kind status", "alert revisions published"),
    _m("firewatch_streams_timer_errors_total", "counter", "timer", "exceptions caught in timers"),
    _m("firewatch_streams_devices", "gauge", "", "devices held in memory by this worker"),
    _m(
        "firewatch_streams_consumer_lag_records",
        "gauge",
        "topic",
        "records of the worker group's input not committed yet (streams/group_lag.py)",
    ),
)

_DISPATCH = (
    # dispatch: incidents, work orders, pages, linkage commands (alerts/service/metrics.py)
    _m(
        "firewatch_dispatch_alerts_total",
        "counter",
        "result",
        "alert records consumed: applied (incident, task or work order moved) or ignored",
    ),
    _m("firewatch_dispatch_pages_total", "counter", "result", "pages sent: ok or failed"),
    _m("firewatch_dispatch_open_incidents", "gauge", "severity", "incidents not resolved"),
    # Gateway and device health are work orders (DOMAIN.md §2 维保): by kind, so the
    # gateway-offline alert rule reads its own.
    _m("firewatch_dispatch_open_work_orders", "gauge", "kind", "work orders not done"),
    _m("firewatch_dispatch_pending_commands", "gauge", "", "commands awaiting read-back"),
    _m(
        "firewatch_dispatch_commands_unconfirmed_total",
        "counter",
        "action",
        "linkage commands whose read-back deadline passed",
    ),
    _m("firewatch_dispatch_alert_handle_seconds", "histogram", "", "time to handle one alert"),
    _m("firewatch_dispatch_dead_letters_total", "counter", "", "alert records that did not decode"),
    _m(
        "firewatch_dispatch_consumer_lag_records",
        "gauge",
        "",
        "alert records behind the high-water marks of the assigned partitions",
    ),
    # dispatch's outbound feeds (alerts/feeds/hub.py)
    _m("firewatch_feeds_deliveries_total", "counter", "feed outcome", "feed deliveries"),
    _m("firewatch_feeds_failing", "gauge", "feed", "1 while a feed keeps failing"),
)

_SINK = (
    # sink: telemetry to InfluxDB (streams/telemetry/metrics.py)
    _m("firewatch_sink_records_consumed_total", "counter", "", "Kafka records read by the sink"),
    _m(
        "firewatch_sink_points_written_total",
        "counter",
        "measurement",
        "points the database accepted, by measurement (device kind)",
    ),
    _m("firewatch_sink_batches_total", "counter", "", "batches written"),
    _m("firewatch_sink_write_retries_total", "counter", "error", "failed writes, retried"),
    _m("firewatch_sink_records_skipped_total", "counter", "reason", "records not readings"),
    _m("firewatch_sink_commit_failures_total", "counter", "", "offset commits refused"),
    _m("firewatch_sink_batch_points", "histogram", "", "points per written batch"),
    _m("firewatch_sink_write_seconds", "histogram", "", "time of one successful batch write"),
    _m("firewatch_sink_consumer_lag_records", "gauge", "", "records behind high water"),
    _m("firewatch_sink_stalled", "gauge", "", "1 while writes fail and consumption is paused"),
    _m("firewatch_sink_last_write_timestamp_seconds", "gauge", "", "time of the last write"),
)

_TOOLS = (
    # command-line tools with --metrics-port (firewatch replay, record, simulate): no dashboard
    _m("firewatch_replay_messages", "gauge", "", "messages published by `firewatch replay`"),
    _m("firewatch_recorder_messages", "gauge", "", "messages written by `firewatch record`"),
    _m("firewatch_sim_messages_total", "counter", "", "messages published by the simulator"),
    _m("firewatch_sim_time_seconds", "gauge", "", "simulated seconds since the run started"),
)

METRICS: tuple[MetricSpec, ...] = (*_INGEST, *_STREAMS, *_DISPATCH, *_SINK, *_TOOLS)
METRIC_NAMES: frozenset[str] = frozenset(spec.name for spec in METRICS)
_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}


def spec(name: str, kind: MetricKind) -> MetricSpec:
    """The catalogue entry; a name not catalogued, or of another kind, is a bug found at start."""
    found = _BY_NAME.get(name)
    if found is None:
        raise KeyError(f"metric {name} is not in runtime/metrics_catalogue.py")
    if found.kind != kind:
        raise TypeError(f"metric {name} is a {found.kind}, not a {kind}")
    return found


def counter(name: str, registry: CollectorRegistry = REGISTRY) -> Counter:
    return _metric(Counter, "counter", name, registry)


def gauge(name: str, registry: CollectorRegistry = REGISTRY) -> Gauge:
    return _metric(Gauge, "gauge", name, registry)


def histogram(
    name: str, registry: CollectorRegistry = REGISTRY, *, buckets: Sequence[float] | None = None
) -> Histogram:
    # prometheus_client's own default buckets unless the caller measured better ones.
    extra = {} if buckets is None else {"buckets": buckets}
    return _metric(Histogram, "histogram", name, registry, **extra)


def _metric(
    cls: type[_M], kind: MetricKind, name: str, registry: CollectorRegistry, **extra: Any
) -> _M:
    """The metric object of a catalogue entry: its name, help and labels come from here."""
    s = spec(name, kind)
    return cls(s.name, s.help, s.labels, registry=registry, **extra)


def family(name: str, *, value: float | None = None) -> Family:
    """A scrape-time family (custom collectors): labelled when the entry has labels, else
    holding `value`."""
    found = _BY_NAME.get(name)
    if found is None or found.kind == "histogram":
        raise KeyError(f"metric {name} is not a catalogued counter or gauge")
    labels = list(found.labels) if found.labels else None
    if found.kind == "counter":
        return CounterMetricFamily(found.name, found.help, value=value, labels=labels)
    return GaugeMetricFamily(found.name, found.help, value=value, labels=labels)
