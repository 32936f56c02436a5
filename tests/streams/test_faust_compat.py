"""Pins of streams/faust_compat.py, the one module that uses Faust's private API: these fail
loudly when an upgrade moves what it relies on (versions, upstream source it copies, method
signatures, attributes), and a real worker on Tansu shows the behaviour end to end.

Lane bookkeeping in detail: tests/streams/test_lane_bookkeeping.py; the lanes' offsets reaching
the group: tests/streams/test_workers_integration.py."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import Any

import aiokafka.consumer.consumer as aiokafka_consumer
import aiokafka.consumer.fetcher as aiokafka_fetcher
import faust.tables.recovery as faust_recovery
import faust.transport.consumer as faust_consumer
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka

from events.codec import encode_model
from events.connections import KafkaConnection
from events.topics import Topics
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from runtime.versions import outside
from streams import faust_compat
from streams.app import Worker, build_app
from streams.config import StreamsConfig
from streams.table_store import Sender
from tests.polling import wait_for
from tests.streams.fixtures import smoke

# sha256 of faust-streaming 0.15.3's Consumer._drain_messages, which FastConsumer copies with
# two changes (await the callback; run the lanes). A new upstream body needs a new copy.
UPSTREAM_DRAIN_MESSAGES_SHA256 = "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"


def _params(fun: Any) -> list[str]:
    return list(inspect.signature(fun).parameters)


@pytest.fixture
async def worker() -> Worker:
    """Built, never connected (a Faust app binds to the session's event loop)."""
    return build_app(StreamsConfig(app_id="fw-test-compat"), KafkaConnection())


def test_the_installed_versions_are_in_the_supported_ranges() -> None:
    assert outside(faust_compat.SUPPORTED) == {}, "re-check streams/faust_compat.py"


def test_the_upstream_drain_messages_is_the_one_copied() -> None:
    source = inspect.getsource(faust_consumer.Consumer._drain_messages)
    assert hashlib.sha256(source.encode()).hexdigest() == UPSTREAM_DRAIN_MESSAGES_SHA256


def test_the_overridden_methods_keep_their_signatures() -> None:
    consumer = faust_consumer.Consumer
    assert _params(consumer._getmany) == ["self", "active_partitions", "timeout"]
    assert _params(consumer._drain_messages) == ["self", "fetcher"]
    assert _params(consumer._add_gap) == ["self", "tp", "offset_from", "offset_to"]
    assert _params(faust_aiokafka.Consumer._new_consumer_thread) == ["self"]
    thread = faust_aiokafka.AIOKafkaConsumerThread
    assert _params(thread._create_worker_consumer) == ["self", "transport"]
    # TableStore and Sender send with positional (topic, key, value, partition, ts, headers).
    assert _params(faust_aiokafka.Producer.send)[:7] == [
        "self",
        "topic",
        "key",
        "value",
        "partition",
        "timestamp",
        "headers",
    ]


def test_the_changelog_batches_go_through_the_producer_faust_flushes() -> None:
    # Item 6: Faust's Producer keeps its aiokafka producer in `_producer` and flushes it.
    assert "self._producer = self._new_producer()" in inspect.getsource(
        faust_aiokafka.Producer.on_start
    )
    assert "self._producer.flush()" in inspect.getsource(faust_aiokafka.Producer.flush)
    assert _params(AIOKafkaProducer.create_batch) == ["self"]
    assert _params(AIOKafkaProducer.send_batch) == ["self", "batch", "topic", "partition"]


async def test_a_drain_sends_each_key_once_with_its_newest_value(worker: Worker) -> None:
    sent: list[tuple[str, list[tuple[bytes, bytes, int]]]] = []

    class Capture(Sender):
        async def send_batches(
            self, topic: str, records: Iterable[tuple[bytes, bytes, int]]
        ) -> list[Awaitable[Any]]:
            sent.append((topic, list(records)))
            return []

    store = worker.stores["readings"]
    store.put("d1", {"seq": 1}, 3)
    store.put("d2", {"seq": 1}, 5)
    store.put("d1", {"seq": 2}, 3)
    await store.drain(Capture(worker.app))
    changelog = "fw-test-compat-device-state-changelog"
    assert sent == [(changelog, [(b"d1", b'{"seq":2}', 3), (b"d2", b'{"seq":1}', 5)])]
    assert store.pending == []
    await store.drain(Capture(worker.app))
    assert len(sent) == 1  # nothing pending: nothing sent


async def test_the_consumer_state_the_lanes_write_is_where_they_write_it(worker: Worker) -> None:
    consumer: Any = worker.app.consumer
    assert isinstance(consumer, faust_compat.FastConsumer)
    for name in ("_read_offset", "_committed_offset", "_acked", "_acked_index"):
        assert hasattr(getattr(consumer, name), "__getitem__"), name
    assert isinstance(consumer._n_acked, int)
    assert hasattr(consumer._unacked_messages, "add")  # a WeakSet that wait_empty reads
    assert hasattr(consumer, "_waiting_for_ack")
    assert hasattr(consumer, "_commit_every")
    assert consumer.suspend_flow.is_set() is False
    assert callable(worker.app.topics.acks_enabled_for)


async def test_the_fetch_wait_reaches_the_aiokafka_consumer_before_it_starts(
    worker: Worker,
) -> None:
    consumer: Any = worker.app.consumer
    thread = consumer._thread
    assert isinstance(thread, faust_compat.FastConsumerThread)
    client = thread._create_worker_consumer(worker.app.transport)
    try:
        assert client._fetch_max_wait_ms == StreamsConfig().fetch_max_wait_ms
    finally:
        await client.stop()
    # aiokafka hands the attribute to its Fetcher in start(): setting it earlier is enough.
    start = inspect.getsource(aiokafka_consumer.AIOKafkaConsumer.start)
    assert "fetch_max_wait_ms=self._fetch_max_wait_ms" in start


def test_the_fetched_records_are_where_the_urgent_check_reads_them() -> None:
    # _fetcher_holds_any (item 1) reads Fetcher._records (partition -> records not yet taken), which
    # fetched_records drains; the consumer thread keeps its aiokafka consumer as `_consumer`.
    drain = inspect.getsource(aiokafka_fetcher.Fetcher.fetched_records)
    assert "self._records[tp]" in drain
    assert "del self._records[tp]" in drain
    assert "self._records = collections.OrderedDict()" in inspect.getsource(
        aiokafka_fetcher.Fetcher.__init__
    )
    ensure = inspect.getsource(faust_aiokafka.AIOKafkaConsumerThread._ensure_consumer)
    assert "self._consumer" in ensure


def test_the_side_fetch_reads_faust_state_where_it_is_kept() -> None:
    # Item 7: after a rebalance Faust seeks to the committed offsets and records them as read
    # offsets (perform_seek), before recovery says completed (item 5): a side fetch planned
    # after that starts at the committed offset.
    assert "read_offset.update(" in inspect.getsource(faust_consumer.Consumer.perform_seek)
    resume = inspect.getsource(faust_recovery.Recovery._resume_streams)
    assert resume.index("consumer.perform_seek()") < resume.index("self.completed.set()")
    assert resume.index("self.completed.set()") < resume.index("consumer.resume_flow()")
    for name in ("stop_flow", "resume_flow", "assignment"):
        assert callable(getattr(faust_consumer.Consumer, name)), name
    assert "self.flow_active = False" in inspect.getsource(faust_consumer.Consumer.stop_flow)
    # Why item 7 exists: aiokafka sends no fetch to a broker while any partition it leads has
    # records not taken yet. When this moves, the side fetch may not be needed any more.
    actions = inspect.getsource(aiokafka_fetcher.Fetcher._get_actions_per_node)
    assert "if tp in self._records:" in actions
    assert "if node_id in backoff_by_nodes:" in actions


async def test_a_table_is_written_and_read_as_bytes_outside_stream_iteration(
    worker: Worker,
) -> None:
    table = faust_compat.ChangelogTable(worker.tables["readings"])
    table.set(b"d1", b'{"seq":1}')  # no current event: Faust's own table[key] = v would raise
    assert table.get(b"d1") == b'{"seq":1}'
    assert table.items() == [(b"d1", b'{"seq":1}')]
    assert table.changelog_topic_name == "fw-test-compat-device-state-changelog"
    tables: Any = worker.app.tables
    recovery = tables.recovery
    assert not recovery.completed.is_set()  # before the first rebalance
    assert not faust_compat.is_recovered(worker.app)
    assert faust_compat.recovered_partitions(worker.app, table.changelog_topic_name) == set()


# --- behaviour on a real broker -------------------------------------------------------------


def _start_worker(kafka: TansuBroker, tmp: Path, name: str) -> tuple[ManagedProcess, int]:
    port = free_port()
    flags = f"--bootstrap {kafka.bootstrap} --flavour tansu --app-id fw-it-compat"
    argv = [sys.executable, "-m", "firewatch", "--log-level", "WARNING", "worker"]
    argv += [*flags.split(), "--data-dir", str(tmp / name), "--metrics-port", str(port)]
    return ManagedProcess(name, argv, log_path=tmp / f"{name}.log").start(), port


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""  # not listening yet


def _metric(port: int, line_start: str) -> float:
    _, text = _get(port, "/metrics")
    values = [float(ln.split()[-1]) for ln in text.splitlines() if ln.startswith(line_start)]
    return values[0] if values else 0.0


async def _ready(port: int) -> dict[str, Any]:
    """Poll /readyz until 200; the body then names every check, all passing."""

    async def ready() -> dict[str, Any] | None:
        status, body = await asyncio.to_thread(_get, port, "/readyz")
        return json.loads(body) if status == 200 else None

    report: dict[str, Any] = await wait_for(ready, 90, what="worker ready", every_s=0.5)
    return report


@pytest.mark.integration
async def test_a_worker_recovers_hand_written_state_from_the_changelog(
    kafka: TansuBroker, tmp_path: Path, processes: list[ManagedProcess]
) -> None:
    """Lanes consume and commit; state written through ChangelogTable and sent by hand is what
    a second worker recovers (it holds every device again and pages none of them twice)."""
    devices = [f"cp-{i:02d}" for i in range(24)]  # spread over the 12 readings partitions
    hot = [encode_model(smoke(d, 1, 0.0, temp_c=80.0)) for d in devices]
    first, port = _start_worker(kafka, tmp_path, "worker-a")
    processes.append(first)
    report = await _ready(port)
    checks = ("kafka.group_joined", "kafka.reachable", "worker.state_loaded")
    assert report["checks"] == dict.fromkeys(checks, True)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for device, value in zip(devices, hot, strict=True):
            await producer.send(Topics.READINGS, value, key=device.encode())
        await producer.flush()
        events = f'firewatch_streams_events_total{{topic="{Topics.READINGS}"}}'
        await wait_for(lambda: _metric(port, events) == len(devices), 60, what="lane consumed")
        alerts = 'firewatch_streams_alerts_total{kind="fire",status="raised"}'
        assert await wait_for(lambda: _metric(port, alerts) >= len(devices), 30, what="fires")

        async def all_committed() -> bool:  # Faust commits every 2.8 s
            return await _committed_sum(kafka.bootstrap) == len(devices)

        await wait_for(all_committed, 60, what="lane offsets committed", every_s=0.5)
        await asyncio.to_thread(first.stop)  # SIGTERM
        second, port = _start_worker(kafka, tmp_path, "worker-b")
        processes.append(second)
        await _ready(port)
        devices_held = "firewatch_streams_devices "
        assert await wait_for(lambda: _metric(port, devices_held) == len(devices), 30, what="held")
        for device, value in zip(devices, hot, strict=True):  # replayed: dropped by seq
            await producer.send(Topics.READINGS, value, key=device.encode())
        await producer.flush()
        await wait_for(lambda: _metric(port, events) == len(devices), 60, what="replay consumed")
    finally:
        await producer.stop()
    assert _metric(port, alerts) == 0  # the recovered state knew every fire already


async def _committed_sum(bootstrap: str) -> int:
    group = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="fw-it-compat")
    await group.start()
    try:
        tps = [TopicPartition(Topics.READINGS, p) for p in range(12)]
        return sum([await group.committed(tp) or 0 for tp in tps])
    finally:
        await group.stop()
