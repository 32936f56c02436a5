"""Gap repair, pure: which resend requests go to which gateway, when, and when it gives up."""

from __future__ import annotations

from datetime import UTC, datetime

from events.commands import ResendRequest, parse_downlink
from events.sequence import AnomalyType, SequenceAnomaly
from ingest.repair import GapRepair, RepairPolicy

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def _gap(device: str, kind: AnomalyType = AnomalyType.GAP) -> SequenceAnomaly:
    return SequenceAnomaly(
        anomaly=kind,
        device_id=device,
        compound_id="c1",
        gateway_id="gw1",
        expected_seq=10,
        received_seq=20,
        missing_count=10,
        detected_at=NOW,
        bridge_id="b",
    )


class Missing:
    """The tracker's view, set by the test: device -> missing ranges."""

    def __init__(self) -> None:
        self.ranges: dict[str, list[tuple[int, int]]] = {}

    def __call__(self, device_id: str) -> list[tuple[int, int]]:
        return self.ranges.get(device_id, [])


def _requests(repair: GapRepair, now_s: float) -> list[tuple[str, ResendRequest]]:
    return repair.due(NOW, now_s)


def test_a_gap_is_asked_for_after_a_short_wait_on_the_gateway_command_topic() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=0.5))
    missing.ranges["d1"] = [(10, 19)]
    repair.on_anomalies([_gap("d1")], now_s=0.0)
    assert _requests(repair, 0.4) == []  # a mere reordering fills itself meanwhile
    [(topic, request)] = _requests(repair, 0.5)
    assert topic == "fw/v1/c1/gw1/cmd"
    assert (request.device_id, request.from_seq, request.to_seq) == ("d1", 10, 19)
    assert request.requested_by == "b"
    assert parse_downlink(request.model_dump_json().encode()) == request


def test_only_what_is_still_missing_is_asked_again_then_it_gives_up() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=0, retry_after_s=5, attempts=2))
    missing.ranges["d1"] = [(10, 19)]
    repair.on_anomalies([_gap("d1")], now_s=0.0)
    assert len(_requests(repair, 0.0)) == 1
    missing.ranges["d1"] = [(12, 12), (15, 16)]  # the resend brought most of them
    assert _requests(repair, 4.9) == []
    again = [(r.from_seq, r.to_seq) for _, r in _requests(repair, 5.0)]
    assert again == [(12, 12), (15, 16)]
    assert _requests(repair, 10.0) == []  # two attempts made: the gap stays reported
    assert repair.given_up == 1
    assert repair.open_count == 0


def test_a_healed_or_reset_device_is_not_asked() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=1))
    missing.ranges = {"d1": [(10, 19)], "d2": [(10, 19)]}
    repair.on_anomalies([_gap("d1"), _gap("d2")], 0.0)
    repair.on_anomalies([_gap("d1", AnomalyType.HEALED), _gap("d2", AnomalyType.RESET)], 0.5)
    assert _requests(repair, 2.0) == []


def test_a_gap_filled_before_its_turn_costs_no_request() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=1))
    repair.on_anomalies([_gap("d1")], 0.0)
    assert _requests(repair, 2.0) == []  # missing() is empty: nothing to ask
    assert (repair.requested, repair.given_up, repair.open_count) == (0, 0, 0)


def test_a_storm_of_gaps_is_asked_for_a_few_devices_per_tick() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=0, max_per_tick=3))
    devices = [f"d{i}" for i in range(10)]
    missing.ranges = {d: [(10, 19)] for d in devices}
    repair.on_anomalies([_gap(d) for d in devices], 0.0)
    ticks = [len(_requests(repair, t * 0.25)) for t in range(5)]
    assert ticks == [3, 3, 3, 1, 0]


def test_one_request_never_asks_for_more_than_the_range_limit() -> None:
    missing = Missing()
    repair = GapRepair("b", missing, RepairPolicy(first_after_s=0, max_range=100))
    missing.ranges["d1"] = [(0, 49), (60, 500)]
    repair.on_anomalies([_gap("d1")], 0.0)
    asked = [(r.from_seq, r.to_seq) for _, r in _requests(repair, 0.0)]
    assert asked == [(0, 49), (60, 109)]
