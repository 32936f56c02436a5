"""Fixtures of the ingest tests: an in-process bridge on the real brokers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from ingest.bridge import Bridge, BridgeOptions
from ingest.config import IngestConfig
from runtime.clock import Clock

BridgeFactory = Callable[..., Awaitable[Bridge]]


@pytest.fixture
async def make_bridge(
    mosquitto: MosquittoBroker, kafka: TansuBroker
) -> AsyncIterator[BridgeFactory]:
    bridges: list[Bridge] = []

    async def factory(
        clock: Clock | None = None, registry: frozenset[str] | None = None, **config: Any
    ) -> Bridge:
        options = BridgeOptions(
            MqttConnection(port=mosquitto.port),
            KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU),
            IngestConfig(**config),
            registry,
        )
        bridge = Bridge(options, clock)
        bridges.append(bridge)
        await bridge.start()
        await asyncio.wait_for(bridge.wait_subscribed(), 10)
        return bridge

    yield factory
    for bridge in bridges:
        await bridge.stop()
