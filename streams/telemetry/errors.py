"""Errors of the telemetry sink.

SinkError
+-- WriteFailed        the database did not take a batch (retriable: the sink waits, retries)
+-- UnusableRecord     a Kafka record that is not a reading (not retriable: named, skipped)
"""

from __future__ import annotations


class SinkError(Exception):
    retriable = False

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class WriteFailed(SinkError):
    retriable = True


class UnusableRecord(SinkError):
    retriable = False
