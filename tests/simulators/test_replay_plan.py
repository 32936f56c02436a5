"""Replay planning: gaps scaled by speed, as fast as possible, id remapping."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from simulators.recording import Record
from simulators.replay import IdMap, gateway_of, plan

RECORDS = [
    Record(
        100.0 + t,
        "fw/v1/c001/c001-gw1/c001-b1-f1-u1-smk/telemetry",
        json.dumps(
            {
                "device_id": "c001-b1-f1-u1-smk",
                "compound_id": "c001",
                "gateway_id": "c001-gw1",
                "seq": i,
            }
        ).encode(),
    )
    for i, t in enumerate([0.0, 1.0, 1.5, 4.0])
]


def test_speed_scales_gaps() -> None:
    assert [s.at_s for s in plan(RECORDS, 10.0)] == pytest.approx([0.0, 0.1, 0.15, 0.4])
    assert [s.at_s for s in plan(RECORDS, 1.0)] == pytest.approx([0.0, 1.0, 1.5, 4.0])
    assert [s.at_s for s in plan(RECORDS, None)] == [0.0] * 4


def test_remap_rewrites_topic_and_payload_ids() -> None:
    first = next(iter(plan(RECORDS, None, IdMap({"c001": "c901"}, prefix="r-"))))
    assert first.record.topic == "fw/v1/r-c901/r-c901-gw1/r-c901-b1-f1-u1-smk/telemetry"
    data = json.loads(first.record.payload)
    assert data["device_id"] == "r-c901-b1-f1-u1-smk"
    assert data["seq"] == 0


def test_invalid_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        list(plan(RECORDS, 0.0))


def test_as_fast_as_possible_as_recorded_passes_each_record_through_lazily() -> None:
    consumed: list[Record] = []

    def reading() -> Iterator[Record]:  # a recording read line by line
        for r in RECORDS:
            consumed.append(r)
            yield r

    schedule = plan(reading(), None)
    assert consumed == []  # nothing read before the replay asks for it
    first = next(iter(schedule))
    assert first.record is RECORDS[0]
    assert first.at_s == 0.0
    assert [s.record for s in schedule] == RECORDS[1:]
    assert gateway_of(RECORDS[0].topic) == tuple(RECORDS[0].topic.split("/")[2:4])
