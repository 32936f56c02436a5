"""The per-device sequence tracker: gaps, duplicates, late arrivals that heal, resets."""

from __future__ import annotations

from datetime import timedelta

from events.readings import SmokeReading
from events.sequence import AnomalyType
from ingest.sequence import SequenceTracker
from tests.ingest.support import OBSERVED_AT, smoke

NOW = OBSERVED_AT + timedelta(minutes=1)


def _r(seq: int, device: str = "sd-0001") -> SmokeReading:
    return SmokeReading.model_validate(smoke(device, seq))


def _feed(
    tracker: SequenceTracker, seqs: list[int], device: str = "sd-0001"
) -> list[tuple[AnomalyType, int, int, int]]:
    out = []
    for seq in seqs:
        for a in tracker.observe(_r(seq, device), NOW):
            out.append((a.anomaly, a.expected_seq, a.received_seq, a.missing_count))
    return out


def test_a_contiguous_stream_is_silent_from_any_first_seq() -> None:
    assert _feed(SequenceTracker("b"), list(range(41, 100))) == []


def test_a_gap_is_reported_with_its_size() -> None:
    assert _feed(SequenceTracker("b"), [1, 2, 6, 7]) == [(AnomalyType.GAP, 3, 6, 3)]


def test_a_redelivery_is_a_duplicate() -> None:
    assert _feed(SequenceTracker("b"), [1, 2, 3, 2, 4]) == [(AnomalyType.DUPLICATE, 4, 2, 0)]


def test_late_arrivals_heal_the_gap_then_are_duplicates() -> None:
    tracker = SequenceTracker("b")
    got = _feed(tracker, [1, 5, 3, 2, 4, 3])
    assert got == [
        (AnomalyType.GAP, 2, 5, 3),
        (AnomalyType.LATE, 6, 3, 2),
        (AnomalyType.LATE, 6, 2, 1),
        (AnomalyType.LATE, 6, 4, 0),
        # The last missing seq in: the gap is recorded healed (the worker clears on it).
        (AnomalyType.HEALED, 6, 4, 0),
        (AnomalyType.DUPLICATE, 6, 3, 0),
    ]
    assert tracker.missing("sd-0001") == []


def test_missing_ranges_are_what_a_resend_request_asks_for() -> None:
    tracker = SequenceTracker("b")
    _feed(tracker, [1, 5, 3, 9])
    assert tracker.missing("sd-0001") == [(2, 2), (4, 4), (6, 8)]
    assert tracker.missing("never-seen") == []
    got = _feed(tracker, [2, 4, 8, 7, 6])
    assert got[-1] == (AnomalyType.HEALED, 10, 6, 0)
    assert [g[0] for g in got].count(AnomalyType.HEALED) == 1


def test_a_counter_restart_is_a_reset_then_counting_resumes() -> None:
    tracker = SequenceTracker("b", window=100)
    assert _feed(tracker, [500, 501, 0, 1, 2]) == [(AnomalyType.RESET, 502, 0, 0)]
    assert _feed(tracker, [1000, 1001, 10, 11]) == [
        (AnomalyType.GAP, 3, 1000, 997),
        (AnomalyType.RESET, 1002, 10, 0),
    ]


def test_gaps_older_than_the_window_cannot_heal() -> None:
    tracker = SequenceTracker("b", window=16)
    got = _feed(tracker, [1, 3, *range(4, 40), 2])
    assert got[0] == (AnomalyType.GAP, 2, 3, 1)
    assert got[1][0] is AnomalyType.RESET


def test_devices_are_tracked_apart_and_counted() -> None:
    tracker = SequenceTracker("b")
    _feed(tracker, [1, 2], "a")
    _feed(tracker, [7, 9], "b")
    _feed(tracker, [3, 3], "a")
    assert tracker.device_count == 2
    assert tracker.counts == {AnomalyType.GAP: 1, AnomalyType.DUPLICATE: 1}
    assert tracker.missing_reported == 1


def test_seq_0_twice_is_a_duplicate_not_a_restart() -> None:
    tracker = SequenceTracker("b")
    assert _feed(tracker, [0, 0, 0, 1]) == [
        (AnomalyType.DUPLICATE, 1, 0, 0),
        (AnomalyType.DUPLICATE, 1, 0, 0),
    ]


def test_a_redelivered_seq_0_is_a_duplicate_not_a_reset() -> None:
    tracker = SequenceTracker("b")
    _feed(tracker, [0, 1, 2])
    got = [a.anomaly for a in tracker.observe(_r(0), NOW, is_dup=True)]
    assert got == [AnomalyType.DUPLICATE]
    assert [a.anomaly for a in tracker.observe(_r(0), NOW)] == [AnomalyType.RESET]
