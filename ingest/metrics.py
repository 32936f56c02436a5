"""BridgeStats as Prometheus metrics, read at scrape time: exactly the `firewatch_ingest_*`
entries of the catalogue (firewatch/metrics.py), which the dashboards and alert rules use
(tests/ingest/test_stats.py holds the two together)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from events.sequence import AnomalyType
from ingest.stats import BridgeStats

Family = CounterMetricFamily | GaugeMetricFamily

# Per lane: (metric without _total, kind, LaneStats attribute, help).
_PER_LANE = (
    ("received", "counter", "received", "MQTT messages received"),
    ("acked", "counter", "acked", "MQTT messages acknowledged after their Kafka write"),
    ("skipped", "counter", "skipped", "messages not the lane's (commands, pages): acked"),
    ("in_flight", "gauge", "in_flight", "received, not yet acknowledged to MQTT"),
    ("in_flight_peak", "gauge", "in_flight_peak", "the most ever in flight (<= the window)"),
    ("window_holds", "counter", "holds", "times reading stopped with the window full"),
    ("mqtt_connected", "gauge", "is_connected", "1 while the MQTT session is up"),
)


class StatsCollector(Collector):
    def __init__(self, stats: BridgeStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Family]:
        s = self.stats
        for metric, kind, attr, help_text in _PER_LANE:
            family = _family(metric, kind, help_text, ["lane"])
            for name, lane in s.lanes.items():
                family.add_metric([name], int(getattr(lane, attr)))
            yield family
        yield _labelled("published", "Kafka records acknowledged", "topic", s.records_by_topic)
        reasons = {r.value: n for r, n in s.dead_letter_reasons.items()}
        yield _labelled("dead_lettered", "messages dead-lettered", "reason", reasons)
        anomalies = {a.value: n for a, n in s.anomalies.items()}
        yield _labelled("sequence_anomalies", "sequence anomalies", "anomaly", anomalies)
        yield _single("sequence_gaps", "counter", "sequence gaps", s.anomalies[AnomalyType.GAP])
        yield _single("missing_readings", "counter", "readings missing", s.missing_readings)
        yield _single("kafka_retries", "counter", "Kafka writes retried", s.kafka_retries)
        yield _single(
            "kafka_data_lost", "counter", "times Kafka was found without its data", s.kafka_losses
        )
        yield _single(
            "kafka_intact", "gauge", "0 while the bridge holds everything", int(s.is_kafka_intact)
        )
        yield _single(
            "resend_requests", "counter", "resend requests to gateways", s.resend_requests
        )


def _family(metric: str, kind: str, help_text: str, labels: list[str]) -> Family:
    name = f"firewatch_ingest_{metric}"
    if kind == "counter":
        return CounterMetricFamily(name, help_text, labels=labels)
    return GaugeMetricFamily(name, help_text, labels=labels)


def _labelled(metric: str, help_text: str, label: str, values: dict[str, int]) -> Family:
    family = _family(metric, "counter", help_text, [label])
    for value, n in values.items():
        family.add_metric([value], n)
    return family


def _single(metric: str, kind: str, help_text: str, value: int) -> Family:
    name = f"firewatch_ingest_{metric}"
    if kind == "counter":
        return CounterMetricFamily(name, help_text, value=value)
    return GaugeMetricFamily(name, help_text, value=value)
