"""The worker asks 256 KiB a partition per fetch (issue #17.4): a worker that falls behind
holds at most about one fetch response a partition, and Tansu returns ~4x what is asked."""

from __future__ import annotations

from events.connections import KafkaConnection, KafkaFlavour
from streams.app import PARTITION_FETCH_BYTES, build_app
from streams.config import StreamsConfig


def test_the_worker_asks_256_kib_a_partition() -> None:
    kafka = KafkaConnection(bootstrap="127.0.0.1:9", flavour=KafkaFlavour.TANSU)  # not dialled
    worker = build_app(StreamsConfig(app_id="fw-test-fetch-bound"), kafka)
    # Faust passes this to aiokafka as max_partition_fetch_bytes (its default: 1 MiB).
    assert worker.app.conf.consumer_max_fetch_size == PARTITION_FETCH_BYTES == 256 * 1024
