"""BridgeStats as Prometheus metrics, read at scrape time: exactly the `firewatch_ingest_*`
entries of the catalogue (runtime/metrics_catalogue.py: names, kinds, labels and help come from
there), which the dashboards and alert rules use (tests/ingest/test_stats.py holds the two
together)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.registry import Collector

from events.sequence import AnomalyType
from ingest.stats import BridgeStats
from runtime.metrics_catalogue import Family, family

# Per lane: (metric, LaneStats attribute).
_PER_LANE = (
    ("received_total", "received"),
    ("acked_total", "acked"),
    ("skipped_total", "skipped"),
    ("in_flight", "in_flight"),
    ("in_flight_peak", "in_flight_peak"),
    ("window_holds_total", "holds"),
    ("kafka_writes_total", "writes"),
    ("held_writes_total", "held_writes"),
    ("urgent_batches_total", "urgent"),
    ("mqtt_connected", "is_connected"),
)


class StatsCollector(Collector):
    def __init__(self, stats: BridgeStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Family]:
        s = self.stats
        for metric, attr in _PER_LANE:
            lanes = _ingest(metric)
            for name, lane in s.lanes.items():
                lanes.add_metric([name], int(getattr(lane, attr)))
            yield lanes
        yield _labelled("published_total", s.records_by_topic)
        yield _labelled(
            "dead_lettered_total", {r.value: n for r, n in s.dead_letter_reasons.items()}
        )
        yield _labelled("sequence_anomalies_total", {a.value: n for a, n in s.anomalies.items()})
        yield _ingest("sequence_gaps_total", s.anomalies[AnomalyType.GAP])
        yield _ingest("missing_readings_total", s.missing_readings)
        yield _ingest("kafka_retries_total", s.kafka_retries)
        yield _ingest("kafka_data_lost_total", s.kafka_losses)
        yield _ingest("kafka_intact", int(s.is_kafka_intact))
        yield _ingest("resend_requests_total", s.resend_requests)


def _ingest(metric: str, value: int | None = None) -> Family:
    return family(f"firewatch_ingest_{metric}", value=value)


def _labelled(metric: str, values: dict[str, int]) -> Family:
    labelled = _ingest(metric)
    for value, n in values.items():
        labelled.add_metric([value], n)
    return labelled
