"""Counters of the bridge. Invariant once idle: received == published + dead_lettered +
skipped (skipped: downlink topics and the other lane's channel, never device data).

Plain integers on the hot path; the Prometheus collector (ingest/metrics.py) reads them at
scrape time, so a message costs no metric lock.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from events.deadletter import DeadLetterReason
from events.sequence import AnomalyType


@dataclass
class LaneStats:
    received: int = 0
    published: int = 0
    dead_lettered: int = 0
    skipped: int = 0  # not the lane's: commands, pages, the other lane's channel (acked)
    acked: int = 0
    in_flight: int = 0  # received, not yet acknowledged to the MQTT broker
    in_flight_peak: int = 0  # the most ever in flight: never above the window
    holds: int = 0  # times the lane stopped reading, its window full (a PUBLISH waiting)
    held_writes: int = 0  # writes that waited for the telemetry hold to gather more
    writes: int = 0  # Kafka writes (each one batch per partition it touches)
    urgent: int = 0  # batches that ended the hold: a reading that may start a P1 in them
    connects: int = 0
    is_connected: bool = False


@dataclass
class BridgeStats:
    lanes: dict[str, LaneStats] = field(default_factory=dict)
    dead_letter_reasons: Counter[DeadLetterReason] = field(default_factory=Counter)
    anomalies: Counter[AnomalyType] = field(default_factory=Counter)
    kafka_retries: int = 0
    # Kafka records whose write was vouched for, by topic (readings, dead letters, ...).
    records_by_topic: Counter[str] = field(default_factory=Counter)
    missing_readings: int = 0  # readings reported missing in sequence gaps
    # The Kafka integrity watch (ingest/kafka_watch.py): losses found, and holding now.
    kafka_losses: int = 0
    is_kafka_intact: bool = True
    # Gap repair (ingest/repair.py): resend requests sent to gateways.
    resend_requests: int = 0

    def lane(self, name: str) -> LaneStats:
        return self.lanes.setdefault(name, LaneStats())

    def total(self, attr: str) -> int:
        return sum(int(getattr(lane, attr)) for lane in self.lanes.values())

    @property
    def received(self) -> int:
        return self.total("received")

    @property
    def published(self) -> int:
        return self.total("published")

    @property
    def dead_lettered(self) -> int:
        return self.total("dead_lettered")

    @property
    def acked(self) -> int:
        return self.total("acked")

    @property
    def skipped(self) -> int:
        return self.total("skipped")

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "published": self.published,
            "dead_lettered": self.dead_lettered,
            "acked": self.acked,
            "skipped": self.skipped,
            "reconciled": self.received == self.published + self.dead_lettered + self.skipped,
            "lanes": {name: vars(lane) for name, lane in self.lanes.items()},
            "dead_letter_reasons": {r.value: n for r, n in self.dead_letter_reasons.items()},
            "sequence_anomalies": {a.value: n for a, n in self.anomalies.items()},
            "kafka_retries": self.kafka_retries,
            "kafka_losses": self.kafka_losses,
            "kafka_intact": self.is_kafka_intact,
            "resend_requests": self.resend_requests,
        }

    def json_line(self) -> str:
        return json.dumps({"ingest_stats": self.as_dict()}, sort_keys=True)
