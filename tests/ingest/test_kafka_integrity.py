"""The integrity rules, pure: when an answer from Kafka can be trusted with an MQTT ack."""

from __future__ import annotations

from ingest.kafka_integrity import Cluster, Integrity, Verdict

TOPICS = ("fw.readings.v1", "fw.priority.v1")
HOME = Cluster("fw-1", {"fw.readings.v1": 12, "fw.priority.v1": 3, "other": 1})
TP = ("fw.readings.v1", 4)


def _intact() -> Integrity:
    integrity = Integrity(TOPICS)
    assert not integrity.is_intact  # nothing written before one answer showed the topics
    assert integrity.recover(HOME) is None
    return integrity


def test_offsets_that_go_on_are_vouched_for_and_first_writes_need_a_check() -> None:
    integrity = _intact()
    assert integrity.judge(TP, None, 0, 0) is Verdict.UNCHECKED
    integrity.confirm(TP, 0, 10)
    assert integrity.floor(TP) == 10
    assert integrity.judge(TP, 10, 0, 10) is Verdict.VOUCHED
    assert integrity.judge(TP, 10, 0, 57) is Verdict.VOUCHED  # another producer wrote too


def test_offsets_that_go_back_are_a_broker_that_lost_the_partition() -> None:
    integrity = _intact()
    integrity.confirm(TP, 0, 500)
    assert integrity.judge(TP, 500, 0, 0) is Verdict.LOST
    assert "went back from 500 to 0" in integrity.went_back(TP, 500, 0)


def test_a_loss_makes_every_write_sent_before_it_stale_until_the_topics_are_back() -> None:
    integrity = _intact()
    integrity.confirm(TP, 0, 500)
    assert integrity.mark_lost("topics vanished")
    assert not integrity.mark_lost("again")  # one loss, one alarm
    assert integrity.judge(TP, 500, 0, 600) is Verdict.STALE  # sent in the old epoch
    waiting = integrity.recover(Cluster("fw-1", {"fw.readings.v1": 12}))
    assert waiting is not None
    assert "fw.priority.v1" in waiting
    assert integrity.recover(HOME) is None
    assert integrity.is_intact
    assert integrity.floor(TP) is None  # offsets start afresh on the new log
    assert integrity.losses == 1


def test_metadata_that_shows_a_loss() -> None:
    integrity = _intact()
    assert integrity.check(HOME) is None
    assert "vanished" in str(integrity.check(Cluster("fw-1", {"fw.readings.v1": 12})))
    assert "cluster id" in str(integrity.check(Cluster("fw-2", HOME.partitions)))
    recreated = Cluster("fw-1", {**HOME.partitions, "fw.readings.v1": 4})
    assert "created anew" in str(integrity.check(recreated))


def test_a_topic_recreated_with_other_partitions_is_used_and_named() -> None:
    """Tansu creates a missing topic on first use with its own partition count: what is
    written there can be read, so the bridge goes on, and says what to recreate."""
    integrity = _intact()
    integrity.mark_lost("topics vanished")
    assert integrity.recover(Cluster("fw-1", {"fw.readings.v1": 4, "fw.priority.v1": 3})) is None
    assert integrity.changed == ["fw.readings.v1 has 4 partitions, it had 12"]
    assert integrity.partitions["fw.readings.v1"] == 4
