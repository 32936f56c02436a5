"""Prometheus metrics of the stream workers (names prefixed firewatch_)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS = Counter("firewatch_streams_events_total", "records consumed", ["topic"])
DUPLICATES = Counter("firewatch_streams_duplicates_total", "readings dropped as replays")
DEAD_LETTERS = Counter("firewatch_streams_dead_letters_total", "undecodable records", ["topic"])
ALERTS = Counter("firewatch_streams_alerts_total", "alert revisions published", ["kind", "status"])
TIMER_ERRORS = Counter(
    "firewatch_streams_timer_errors_total", "exceptions caught in timers", ["timer"]
)
DEVICES = Gauge("firewatch_streams_devices", "devices held in memory by this worker")
