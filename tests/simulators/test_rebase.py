"""Rebasing a recording (pure): stamps moved by one offset, gaps kept, never ahead of the send
time; the bridge's window predicted per message; the read-back tally of accepted and rejected."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from simulators.readback import Readback, event_id_of
from simulators.recording import Record
from simulators.replay import check_window, plan, rebase_shift
from simulators.stamps import observed_s, shift_stamps

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
DAY_S = 86400.0
MAX_AGE_S, MAX_FUTURE_S = 7 * DAY_S, 300.0


def _record(t_s: float, seq: int, *, retain: bool = False) -> Record:
    stamp = (T0 + timedelta(seconds=t_s)).isoformat().replace("+00:00", "Z")
    body = {"device_id": "d1", "compound_id": "c1", "gateway_id": "g1", "seq": seq}
    payload = json.dumps({**body, "observed_at": stamp}).encode()
    return Record(T0.timestamp() + t_s, "fw/v1/c1/g1/d1/telemetry", payload, 1, retain)


RECORDS = [_record(t, i) for i, t in enumerate([0.0, 10.0, 25.0, 3600.0])]
NOW_S = T0.timestamp() + 30 * DAY_S  # the recording is a month old


def test_shift_moves_only_the_stamps_and_keeps_their_format() -> None:
    payload = (
        b'{"seq":1,"observed_at":"2026-03-01T02:00:00Z",'
        b'"received_at":"2026-03-01T02:00:00.5+08:00"}'
    )
    moved = shift_stamps(payload, DAY_S + 0.25)
    assert moved == (
        b'{"seq":1,"observed_at":"2026-03-02T02:00:00.250000Z",'
        b'"received_at":"2026-03-02T02:00:00.750000+08:00"}'
    )
    assert shift_stamps(b"not json", DAY_S) == b"not json"
    assert observed_s(payload) == T0.timestamp()
    assert observed_s(b'{"observed_at":"2026-03-01T02:00:00"}') is None  # naive: unreadable


@pytest.mark.parametrize(
    ("speed", "first_s"),
    [(1.0, NOW_S), (10.0, NOW_S - 3600 * 0.9), (None, NOW_S - 3600), (0.5, NOW_S)],
    ids=["x1 starts now", "x10", "max ends now", "x0.5 starts now"],
)
def test_rebase_never_stamps_ahead_of_the_send_time(speed: float | None, first_s: float) -> None:
    shift = rebase_shift(RECORDS, NOW_S, speed)
    schedule = list(plan(RECORDS, speed, shift_s=shift))
    stamps = [observed_s(s.record.payload) for s in schedule]
    assert stamps[0] == pytest.approx(first_s, abs=1.0)
    gaps = [b - a for a, b in itertools.pairwise(stamps) if a and b]
    assert gaps == pytest.approx([10.0, 15.0, 3575.0])  # the recording's own gaps
    for item, stamp in zip(schedule, stamps, strict=True):
        assert stamp is not None
        assert stamp <= NOW_S + item.at_s + 1e-6
    assert check_window(schedule, NOW_S, MAX_AGE_S, MAX_FUTURE_S).is_clean


def test_keep_time_predicts_what_the_bridge_refuses() -> None:
    old = check_window(plan(RECORDS, None), NOW_S, MAX_AGE_S, MAX_FUTURE_S)
    assert (old.too_old, old.in_future, old.total) == (4, 0, 4)
    retained = [_record(0.0, 0, retain=True)]
    assert check_window(plan(retained, None), NOW_S, MAX_AGE_S, MAX_FUTURE_S).is_clean
    ahead = check_window(plan(RECORDS, None), T0.timestamp(), MAX_AGE_S, MAX_FUTURE_S)
    assert (ahead.too_old, ahead.in_future) == (0, 1)  # only the one an hour ahead


def test_readback_counts_this_runs_messages_by_id_and_bytes() -> None:
    payloads = [r.payload for r in RECORDS]
    tally = Readback.of(payloads, started_ms=1000)
    assert event_id_of(payloads[0]) == "d1:0"
    tally.reading(2000, "d1:0")
    tally.reading(2000, "d1:1")
    tally.reading(500, "d1:2")  # before this replay started: another run
    tally.reading(2000, "other:7")  # not ours
    letter = {"reason": "timestamp_too_old", "payload_b64": base64.b64encode(payloads[3]).decode()}
    tally.dead_letter(2000, json.dumps(letter).encode())
    tally.dead_letter(2000, b"garbage")
    assert not tally.is_complete
    assert tally.summary() == {
        "accepted": 2,
        "dead_lettered": 1,
        "dead_letter_reasons": {"timestamp_too_old": 1},
        "unaccounted": 1,
    }
    tally.reading(3000, "d1:2")
    assert tally.is_complete
