"""A repaired gap clears the worker's gap finding (issue 19 item 2): ingest records `healed`
once a gateway resent every missing reading, even after the grace raised the finding."""

from __future__ import annotations

from events.alerts import AlertKind
from events.sequence import AnomalyType, SequenceAnomaly
from streams.detectors.engine import DeviceEngine
from streams.detectors.state import DeviceState
from tests.streams.fixtures import T0, at

ENGINE = DeviceEngine()


def _anomaly(kind: AnomalyType, missing: int, t_s: float) -> SequenceAnomaly:
    return SequenceAnomaly(
        anomaly=kind,
        device_id="s1",
        compound_id="c1",
        gateway_id="gw1",
        expected_seq=10,
        received_seq=13,
        missing_count=missing,
        detected_at=at(t_s),
        bridge_id="b",
    )


def test_a_healed_gap_clears_the_finding_raised_after_the_grace() -> None:
    state = DeviceState(device_id="s1")
    ENGINE.on_sequence(state, _anomaly(AnomalyType.GAP, 3, 0.0), T0)
    raised = ENGINE.on_tick(state, T0 + 61).findings
    assert [(f.kind, f.is_active) for f in raised] == [(AlertKind.SEQUENCE_GAP, True)]
    ENGINE.on_sequence(state, _anomaly(AnomalyType.LATE, 0, 90.0), T0 + 90)
    cleared = ENGINE.on_sequence(state, _anomaly(AnomalyType.HEALED, 0, 90.0), T0 + 90)
    assert [(f.kind, f.is_active, f.stage) for f in cleared.findings] == [
        (AlertKind.SEQUENCE_GAP, False, "healed")
    ]
    assert ENGINE.on_tick(state, T0 + 200).findings == []


def test_a_gap_healed_within_the_grace_never_raises_nor_clears() -> None:
    state = DeviceState(device_id="s1")
    ENGINE.on_sequence(state, _anomaly(AnomalyType.GAP, 3, 0.0), T0)
    healed = ENGINE.on_sequence(state, _anomaly(AnomalyType.HEALED, 0, 2.0), T0 + 2)
    assert healed.findings == []
    assert ENGINE.on_tick(state, T0 + 120).findings == []
