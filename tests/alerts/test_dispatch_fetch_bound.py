"""Dispatch's read-back consumer fetches little at a time (issue #17.4): what it holds of
fetched readings is bounded, whatever Tansu returns above what is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.service.factory import READBACK_PARTITION_FETCH_BYTES, build_dispatch_service
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection

from .conftest import short_config


@pytest.mark.asyncio
async def test_the_readback_consumer_asks_64_kib_a_partition(tmp_path: Path) -> None:
    # Built, never started: nothing connects (the port numbers are never dialled).
    service = build_dispatch_service(
        short_config(tmp_path),
        KafkaConnection(bootstrap="127.0.0.1:9", flavour=KafkaFlavour.TANSU),
        MqttConnection(port=9),
    )
    readback = service.parts.readings
    assert readback._max_partition_fetch_bytes == READBACK_PARTITION_FETCH_BYTES == 64 * 1024
    # The alerts' consumer keeps aiokafka's default: alerts are few, and a storm's backlog is
    # what dispatch must drain fast (bench dispatch).
    assert service.parts.alerts._max_partition_fetch_bytes == 1024 * 1024
