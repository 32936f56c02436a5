"""A failed sensor is a fault, not a fire and not nothing (issue #15.3), and zone logic across
detectors: a failed detector is no vote, a rise next to a fire is the fire arriving."""

from __future__ import annotations

from datetime import UTC, datetime

from events.alerts import AlertKind, AlertStatus, Severity
from events.codec import decode_reading
from events.deadletter import DeadLetterReason
from events.readings import Reading
from events.sequence import AnomalyType, SequenceAnomaly
from events.topics import Channel, MqttTopic, Topics
from ingest.config import IngestConfig
from ingest.core import Accepted, InboundMessage, IngestCore, Rejected
from runtime.clock import ManualClock
from streams.detectors.area import CompoundEngine
from streams.detectors.compound_state import CompoundState
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import FireLevel, Outcome, Place, Signal, SignalKind
from streams.detectors.state import DeviceState
from streams.processor import DeviceProcessor, DictStore, Emitted
from tests.streams.fixtures import T0, smoke

ENGINE = DeviceEngine()
TOPIC = MqttTopic.device("c1", "gw1", "s1", Channel.TELEMETRY)


def _feed(state: DeviceState, *readings: Reading) -> Outcome:
    out = Outcome()
    for r in readings:
        got = ENGINE.on_reading(state, r, r.observed_at.timestamp())
        if got is not None:
            out.findings += got.findings
            out.signals += got.signals
    return out


def test_a_jump_no_fire_makes_is_a_fault_held_out_of_detection() -> None:
    state = DeviceState(device_id="s1")
    quiet = [smoke("s1", i, i * 5.0, temp_c=22.0) for i in range(30)]
    _feed(state, *quiet)
    broken = _feed(state, smoke("s1", 30, 150.0, temp_c=700.0), smoke("s1", 31, 155.0, 701.0))
    kinds = [(f.kind, f.stage) for f in broken.findings if f.is_active]
    assert kinds == [(AlertKind.SENSOR_FAULT, "jump")]  # a fault, not a fire
    assert [s.kind for s in broken.signals] == [SignalKind.FAULT]
    # Much later the broken value drifts "slowly": still no fire, the fault holds.
    later = _feed(state, smoke("s1", 32, 400.0, temp_c=702.0))
    assert not [f for f in later.findings if f.kind is AlertKind.FIRE]
    # Plausible again, for longer than the hold: the fault clears, detection works again.
    back = _feed(state, *(smoke("s1", 33 + i, 405.0 + i * 30, temp_c=22.0) for i in range(25)))
    cleared = [f for f in back.findings if f.kind is AlertKind.SENSOR_FAULT]
    assert [f.is_active for f in cleared] == [False]
    assert [s.flag for s in back.signals if s.kind is SignalKind.FAULT] == [False]


def test_a_real_fire_is_never_a_jump() -> None:
    # The UL FSRI ceilings rise up to 14 C/s: a 2 s reporting step of 28 C is a fire.
    state = DeviceState(device_id="s1")
    _feed(state, *(smoke("s1", i, i * 2.0, temp_c=22.0) for i in range(60)))
    fire = _feed(state, smoke("s1", 60, 120.0, temp_c=50.0), smoke("s1", 61, 122.0, 78.0))
    assert [f.kind for f in fire.findings if f.is_active] == [AlertKind.FIRE]


def _out_of_range_message(seq: int) -> InboundMessage:
    reading = smoke("s1", seq, 100.0, temp_c=21.0, compound_id="c1", gateway_id="gw1")
    payload = reading.model_dump_json().replace('"temperature_c":21.0', '"temperature_c":1260.0')
    return InboundMessage(TOPIC, payload.encode())


def test_out_of_range_from_a_known_device_is_dead_lettered_and_a_fault_end_to_end() -> None:
    now = datetime.fromtimestamp(T0 + 100.0, UTC)
    core = IngestCore(IngestConfig(bridge_id="b1"), registry=frozenset({"s1"}))
    outcome = core.process(_out_of_range_message(7), now)
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter.reason is DeadLetterReason.OUT_OF_RANGE  # still dead-lettered
    assert outcome.fault is not None
    assert outcome.fault.topic == Topics.SEQUENCE
    anomaly = SequenceAnomaly.model_validate_json(outcome.fault.value)
    assert (anomaly.anomaly, anomaly.field, anomaly.value) == (
        AnomalyType.OUT_OF_RANGE,
        "temperature_c",
        1260.0,
    )
    assert anomaly.area_id == "a1"  # placed from the payload: the compound stage needs it
    # The worker's device stage (the sequence lane's processor) turns it into a P3 fault.
    clock = ManualClock.at_epoch_s(T0 + 100.0)
    proc = DeviceProcessor(DeviceEngine(), clock, DictStore(), partitions=1)
    into = Emitted()
    proc.on_sequence(anomaly, into)
    (alert,) = into.alerts
    assert (alert.kind, alert.severity, alert.status) == (
        AlertKind.SENSOR_FAULT,
        Severity.P3,
        AlertStatus.RAISED,
    )
    assert "temperature_c read 1260" in alert.summary
    assert [(s.kind, s.flag, s.level) for s in into.signals] == [
        (SignalKind.FAULT, True, "out_of_range")
    ]
    # The next good reading reveals a gap of one seq: the dead-lettered one, not a loss.
    gap = anomaly.model_copy(
        update={
            "anomaly": AnomalyType.GAP,
            "expected_seq": 7,
            "received_seq": 8,
            "missing_count": 1,
        }
    )
    proc.on_sequence(gap, into)
    clock.advance(3600.0)  # past the gap grace and the out-of-range hold
    later = Emitted()
    proc.tick(later)
    assert [(a.kind, a.status) for a in later.alerts] == [
        (AlertKind.SENSOR_FAULT, AlertStatus.CLEARED)
    ]
    assert [(s.kind, s.flag) for s in later.signals] == [(SignalKind.FAULT, False)]


def test_out_of_range_is_a_fault_only_for_a_sensor_of_a_known_device() -> None:
    now = datetime.fromtimestamp(T0 + 100.0, UTC)
    unknown = IngestCore(IngestConfig(bridge_id="b1"), registry=frozenset({"other"}))
    from_unknown = unknown.process(_out_of_range_message(7), now)
    assert isinstance(from_unknown, Rejected)
    assert from_unknown.fault is None
    core = IngestCore(IngestConfig(bridge_id="b1"))
    floor = smoke("s1", 7, 100.0).model_dump_json().replace('"floor":1', '"floor":900')
    rejected = core.process(InboundMessage(TOPIC, floor.encode()), now)
    assert isinstance(rejected, Rejected)
    assert rejected.dead_letter.reason is DeadLetterReason.OUT_OF_RANGE
    assert rejected.fault is None  # a malformed message, not a failed sensor
    good = core.process(
        InboundMessage(TOPIC, smoke("s1", 8, 100.0).model_dump_json().encode()), now
    )
    assert isinstance(good, Accepted)
    assert decode_reading(good.record.value).seq == 8


def _signal(
    kind: SignalKind, device: str, area: str, *, flag: bool = True, level: str = ""
) -> Signal:
    return Signal(
        kind, device, Place("c1", "gw1", "b1", 3, area, device), T0, flag=flag, level=level
    )


def test_a_failed_detector_is_no_vote_the_remaining_one_confirms_alone() -> None:
    engine, cs = CompoundEngine(), CompoundState()
    alone = engine.on_signal(
        cs, _signal(SignalKind.FIRE_LEVEL, "d1", "flat", level=FireLevel.PRE_ALARM)
    )
    assert not [f for f in alone.findings if f.kind is AlertKind.FIRE]  # waits for a second vote
    failed = engine.on_signal(cs, _signal(SignalKind.FAULT, "d2", "flat", level="stuck"))
    (fire,) = [f for f in failed.findings if f.kind is AlertKind.FIRE]
    assert fire.subject == "area:flat"
    assert "d2 failed" in fire.summary
    # A fault elsewhere changes nothing for another area.
    other = CompoundState()
    engine.on_signal(other, _signal(SignalKind.FAULT, "d9", "hall", level="jump"))
    quiet = engine.on_signal(
        other, _signal(SignalKind.FIRE_LEVEL, "d1", "flat", level=FireLevel.PRE_ALARM)
    )
    assert not [f for f in quiet.findings if f.kind is AlertKind.FIRE]


def test_a_rise_next_to_a_fire_is_the_fire_arriving() -> None:
    engine, cs = CompoundEngine(), CompoundState()
    rising = engine.on_signal(cs, _signal(SignalKind.HEAT_RISE, "bed", "bedroom"))
    assert not rising.findings  # warm, alone: no alarm (sun, heating, cooking)
    fire = engine.on_signal(
        cs, _signal(SignalKind.FIRE_LEVEL, "fam", "family", level=FireLevel.ALARM)
    )
    near = [f for f in fire.findings if f.subject == "near:bed"]
    assert [f.kind for f in near] == [AlertKind.FIRE]
    assert near[0].place.device_id == "bed"
    # Another building, or five floors away, is not a neighbour.
    far = Signal(SignalKind.HEAT_RISE, "x", Place("c1", "gw1", "b2", 3, "a", "x"), T0, flag=True)
    high = Signal(SignalKind.HEAT_RISE, "y", Place("c1", "gw1", "b1", 8, "a", "y"), T0, flag=True)
    assert not engine.on_signal(cs, far).findings
    assert not engine.on_signal(cs, high).findings
