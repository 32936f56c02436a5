"""The consumer port of the sink: the part of aiokafka's AIOKafkaConsumer it uses (the service
passes the real one; tests and the benchmark pass in-memory fakes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class ConsumerRecord(Protocol):
    topic: str
    partition: int
    offset: int
    value: bytes | None


class Consumer(Protocol):
    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> Mapping[Any, Any]: ...

    def assignment(self) -> set[Any]: ...

    def pause(self, *partitions: Any) -> None: ...

    def resume(self, *partitions: Any) -> None: ...

    def highwater(self, partition: Any) -> int | None: ...

    async def commit(self, offsets: Mapping[Any, int]) -> None: ...
