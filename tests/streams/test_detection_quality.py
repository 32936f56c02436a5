"""Heat detection on the eight UL FSRI two-storey fire tests (issue #15.1/15.2), scored per room
in data time against a plain 57 C and a plain rate-of-rise detector on the same readings.

Every room the fire reached is detected, nothing alarms before ignition (the background has
real excursions: a living-room thermocouple swinging 6-48 C), and the median latency after
ignition is no worse than the rate-of-rise detector's and better than the 57 C one's, at 1-30 s
reporting with jitter and gaps. What docs/DETECTION.md tabulates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from firewatch.detection_eval import TEST_NAMES, UL_TESTS, FireTestScores, score_test
from simulators.datasets.reporting import Reporting


def _all_tests(datasets: Path, reporting: Reporting | None) -> list[FireTestScores]:
    return [score_test(datasets / UL_TESTS / f"{name}.csv", reporting) for name in TEST_NAMES]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@pytest.mark.parametrize(
    "reporting",
    [None, *(Reporting(i, jitter_frac=0.2, gap_frac=0.05, seed=1) for i in (1, 2, 5, 10, 30))],
    ids=lambda r: "file-2s" if r is None else f"{r.interval_s:g}s-jitter-gaps",
)
def test_every_reached_room_detected_none_before_ignition_faster_than_baselines(
    datasets: Path, reporting: Reporting | None
) -> None:
    results = _all_tests(datasets, reporting)
    ours = [r.tables[0] for r in results]
    fixed = [r.tables[1] for r in results]
    rate = [r.tables[2] for r in results]
    missed = [(t.name, row.device_id) for t in ours for row in t.missed]
    assert not missed, f"rooms the fire reached but nothing alarmed: {missed}"
    alarms = [(t.name, row.device_id) for t in ours for row in t.rows if row.false_alarms]
    assert not alarms, f"alarms before ignition: {alarms}"
    assert sum(len(t.reached) for t in ours) >= 100  # most rooms of the 8 x 14 are reached
    median = _median([x for t in ours for x in t.latencies_s])
    assert median < _median([x for t in fixed for x in t.latencies_s])
    # Against rate of rise, on the rooms where its alarm means something: where it alarmed on
    # the background before ignition, its alarm after ignition is the same noise, not the fire
    # (docs/DETECTION.md gives the all-room medians too: a tie at 30 s, better below).
    credible = [
        (mine.latency_s, theirs.latency_s)
        for o, r in zip(ours, rate, strict=True)
        for mine, theirs in zip(o.rows, r.rows, strict=True)
        if mine.is_reached and not theirs.false_alarms
    ]
    assert len(credible) >= 90
    assert _median([m for m, _ in credible if m is not None]) <= _median(
        [t for _, t in credible if t is not None]
    )
    # The baselines are run honestly: the rate-of-rise head alarms on the noisy background.
    assert sum(t.false_alarms for t in rate) > 0
