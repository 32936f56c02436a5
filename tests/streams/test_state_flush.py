"""A state flush at a city's load leaves the worker in a few produce requests, not dozens.

The flush timer writes a changelog record for every device that changed since the last flush
(thousands at 1,000 readings/s over 25k devices), and aiokafka keeps one batch per partition
in flight: at Faust's default 16 KiB batch, a flush of 3,000 device states took ~20 produce
round trips in a row, and the lanes' own state writes queued behind it (a 30-minute soak fell
470k readings behind with the flush timer overlapping itself, 8-23 s a flush).
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from events.connections import KafkaConnection, KafkaFlavour
from firewatch.embedded.tansu import TansuBroker
from runtime.partitioner import partition_for
from streams.app import build_app
from streams.config import StreamsConfig
from streams.faust_compat import aiokafka_producer

DEVICES = 3_000
STATE_BYTES = 900  # a device's state as the soak's smoke detectors and ports write it


async def _keys_on(bootstrap: str, topic: str, partitions: int) -> set[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        keys: set[bytes] = set()
        while len(keys) < DEVICES and (batch := await consumer.getmany(timeout_ms=2000)):
            keys.update(r.key for records in batch.values() for r in records if r.key)
        return keys
    finally:
        await consumer.stop()


async def test_a_flush_of_thousands_of_device_states_takes_a_few_produce_requests(
    tansu: TansuBroker,
) -> None:
    kafka = KafkaConnection(bootstrap=tansu.bootstrap, flavour=KafkaFlavour.TANSU)
    worker = build_app(StreamsConfig(app_id="fw-test-flush"), kafka)
    store = worker.stores["readings"]
    changelog: Any = store.table.table.changelog_topic  # the concrete Faust topic
    partitions = changelog.partitions
    await changelog.maybe_declare()
    await worker.app.maybe_start_producer()
    raw = aiokafka_producer(worker.app)
    produce_requests: list[int] = []
    send = raw.client.send

    async def counting_send(node_id: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if type(request).__name__.startswith("ProduceRequest"):
            produce_requests.append(node_id)
        return await send(node_id, request, *args, **kwargs)

    raw.client.send = counting_send
    try:
        for i in range(DEVICES):
            device = f"sd-{i:05d}"
            state = {"device_id": device, "pad": "x" * STATE_BYTES}
            store.put(device, state, partition_for(device, partitions))
        await store.drain(worker.sender)
        await worker.app.producer.flush()
    finally:
        raw.client.send = send
        await worker.app.producer.stop()

    # Data in one batch per partition, then each partition's one-record tail (Tansu's end
    # offset, TableStore.drain): two requests; 16 KiB batches needed ~20.
    assert len(produce_requests) <= 4, len(produce_requests)
    keys = await _keys_on(tansu.bootstrap, changelog.get_topic_name(), partitions)
    assert len(keys) == DEVICES
