"""Counters as Prometheus metrics and as the JSON stats line; the metrics are exactly the
catalogue's ingest entries, which the dashboards and alert rules query (a name or a label
that the bridge does not expose would leave a panel empty and an alert that never fires)."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry, generate_latest

from events.deadletter import DeadLetterReason
from events.sequence import AnomalyType
from ingest.metrics import StatsCollector
from ingest.stats import BridgeStats
from runtime.metrics_catalogue import METRICS


def test_metrics_and_stats_line_carry_the_reconciliation() -> None:
    stats = BridgeStats()
    lane = stats.lane("telemetry")
    lane.received, lane.published, lane.dead_lettered, lane.acked = 10, 7, 3, 10
    stats.dead_letter_reasons[DeadLetterReason.INVALID_JSON] = 3
    stats.anomalies[AnomalyType.GAP] = 2
    stats.records_by_topic["fw.readings.v1"] = 7
    stats.missing_readings = 5
    registry = CollectorRegistry()
    registry.register(StatsCollector(stats))
    text = generate_latest(registry).decode()
    assert 'firewatch_ingest_received_total{lane="telemetry"} 10.0' in text
    assert 'firewatch_ingest_dead_lettered_total{reason="invalid_json"} 3.0' in text
    assert 'firewatch_ingest_published_total{topic="fw.readings.v1"} 7.0' in text
    assert 'firewatch_ingest_sequence_anomalies_total{anomaly="gap"} 2.0' in text
    assert "firewatch_ingest_sequence_gaps_total 2.0" in text
    assert "firewatch_ingest_missing_readings_total 5.0" in text
    assert "firewatch_ingest_kafka_intact 1.0" in text
    line = json.loads(stats.json_line())["ingest_stats"]
    assert (line["received"], line["published"], line["dead_lettered"]) == (10, 7, 3)
    assert line["reconciled"] is True
    lane.received += 1
    assert json.loads(stats.json_line())["ingest_stats"]["reconciled"] is False


def test_the_bridge_exposes_exactly_its_catalogue_entries() -> None:
    stats = BridgeStats()
    stats.lane("telemetry")
    registry = CollectorRegistry()
    registry.register(StatsCollector(stats))
    exposed = {
        family.name + ("_total" if family.type == "counter" else ""): family.type
        for family in registry.collect()
    }
    catalogue = {s.name: s.kind for s in METRICS if s.name.startswith("firewatch_ingest_")}
    assert exposed == catalogue
    labels = {s.name: s.labels for s in METRICS if s.name.startswith("firewatch_ingest_")}
    stats.dead_letter_reasons[DeadLetterReason.INVALID_JSON] = 1
    stats.records_by_topic["fw.readings.v1"] = 1
    stats.anomalies[AnomalyType.GAP] = 1
    for family in registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            assert tuple(sample.labels) == labels[name], name
