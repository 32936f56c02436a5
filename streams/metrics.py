"""Prometheus metrics of the stream workers, created from runtime/metrics_catalogue.py."""

from __future__ import annotations

from runtime.metrics_catalogue import counter, gauge

EVENTS = counter("firewatch_streams_events_total")
DUPLICATES = counter("firewatch_streams_duplicates_total")
DEAD_LETTERS = counter("firewatch_streams_dead_letters_total")
ALERTS = counter("firewatch_streams_alerts_total")
TIMER_ERRORS = counter("firewatch_streams_timer_errors_total")
DEVICES = gauge("firewatch_streams_devices")
CONSUMER_LAG = gauge("firewatch_streams_consumer_lag_records")
