"""The parts of Faust's public API the worker uses, as small Protocols.

Faust's own types are wide (an App has hundreds of members, many typed `Any`); these say
exactly what the worker relies on, so mypy checks our side of every call against that, a test
double needs only these members, and an upgrade shows here what it must keep. The private API
is not here: it lives, pinned and tested, in streams/faust_compat.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

TimerFn = Callable[[], Awaitable[None]]
RebalanceHandler = Callable[..., Awaitable[None]]


class TopicPartition(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...


class FaustTopic(Protocol):
    def get_topic_name(self) -> str: ...


class FaustTable(Protocol):
    @property
    def changelog_topic(self) -> FaustTopic: ...


class RebalanceSignal(Protocol):
    """`app.on_partitions_revoked` / `on_partitions_assigned` (mode's SyncSignal)."""

    def connect(self, fun: RebalanceHandler) -> Any: ...


class FaustProducer(Protocol):
    @property
    def started(self) -> bool: ...

    async def send(  # noqa: PLR0917 - Faust's own signature (faust/types/transports.py)
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: list[tuple[str, bytes]] | None,
    ) -> Awaitable[Any]: ...


class FaustApp(Protocol):
    @property
    def conf(self) -> Any: ...
    @property
    def producer(self) -> FaustProducer: ...
    @property
    def on_partitions_revoked(self) -> RebalanceSignal: ...
    @property
    def on_partitions_assigned(self) -> RebalanceSignal: ...

    def topic(
        self,
        *topics: str,
        key_serializer: str | None = ...,
        value_serializer: str | None = ...,
        partitions: int | None = ...,
        compacting: bool | None = ...,
        deleting: bool | None = ...,
        acks: bool = ...,
        internal: bool = ...,
    ) -> FaustTopic: ...

    def Table(  # noqa: N802 - Faust's name for it
        self,
        name: str,
        *,
        default: Callable[[], Any] | None = ...,
        partitions: int | None = ...,
        changelog_topic: Any = ...,
    ) -> FaustTable: ...

    def timer(self, interval: float) -> Callable[[TimerFn], TimerFn]: ...

    async def maybe_start_producer(self) -> Any: ...
