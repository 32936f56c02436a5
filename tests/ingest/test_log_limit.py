"""A flood of one kind of trouble is one log line per interval, naming how many it stood for."""

from __future__ import annotations

import logging

import pytest

from ingest.log_limit import LogLimiter


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def test_one_line_per_kind_and_interval_then_the_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = LogLimiter(logging.getLogger("t"), "lane", interval_s=60, monotonic=clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(10_000):
            limiter.warning("invalid_json", "invalid_json on fw/v1/c/g/d/telemetry")
        limiter.warning("bad_topic", "bad_topic on x")
        clock.now_s = 61
        limiter.warning("invalid_json", "invalid_json on y")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "lane: invalid_json on fw/v1/c/g/d/telemetry",
        "lane: bad_topic on x",
        "lane: invalid_json on y (and 9999 more like it in the last 60 s)",
    ]


def test_a_bug_logs_its_traceback_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = LogLimiter(logging.getLogger("t"), "core failed", monotonic=clock)
    for _ in range(100):
        limiter.exception("fw/v1/c/g/d/telemetry", ValueError("boom"))
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is not None
