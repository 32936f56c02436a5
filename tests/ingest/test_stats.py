"""Counters as Prometheus metrics and as the JSON stats line."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry, generate_latest

from events.deadletter import DeadLetterReason
from events.sequence import AnomalyType
from ingest.stats import BridgeStats, StatsCollector


def test_metrics_and_stats_line_carry_the_reconciliation() -> None:
    stats = BridgeStats()
    lane = stats.lane("telemetry")
    lane.received, lane.published, lane.dead_lettered, lane.acked = 10, 7, 3, 10
    stats.dead_letter_reasons[DeadLetterReason.INVALID_JSON] = 3
    stats.anomalies[AnomalyType.GAP] = 2
    registry = CollectorRegistry()
    registry.register(StatsCollector(stats))
    text = generate_latest(registry).decode()
    assert 'firewatch_ingest_received_total{lane="telemetry"} 10.0' in text
    assert 'firewatch_ingest_dead_letter_total{reason="invalid_json"} 3.0' in text
    assert 'firewatch_ingest_sequence_anomalies_total{anomaly="gap"} 2.0' in text
    line = json.loads(stats.json_line())["ingest_stats"]
    assert (line["received"], line["published"], line["dead_lettered"]) == (10, 7, 3)
    assert line["reconciled"] is True
    lane.received += 1
    assert json.loads(stats.json_line())["ingest_stats"]["reconciled"] is False
