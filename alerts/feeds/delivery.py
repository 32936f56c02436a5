"""Sending one item to one recipient: a signed webhook (httpx) or a Kafka topic, tried
`attempts` times with doubling back-off. Returns what happened; never raises for a recipient
that is down (that is the ledger's and the operator's business, not a crash)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from alerts.feeds.config import FeedConfig
from alerts.feeds.signing import sign


@dataclass(frozen=True, slots=True)
class Outcome:
    is_ok: bool
    attempts: int
    detail: str


class Producer(Protocol):
    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> object: ...


class Sender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        producer: Producer | None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock_s: Callable[[], float] = time.time,
    ) -> None:
        self.http, self.producer, self.sleep = http, producer, sleep
        # The signature's timestamp is wall-clock time on purpose: the recipient checks it
        # against its own clock (replay window), whatever clock drives our schedule.
        self.wall_clock_s = wall_clock_s

    async def deliver(self, feed: FeedConfig, body: bytes, key: str) -> Outcome:
        last = ""
        for attempt in range(1, feed.attempts + 1):
            await self.sleep(feed.delay_s(attempt))
            last, is_final = await self._once(feed, body, key)
            if not last:
                return Outcome(True, attempt, "delivered")
            if is_final:
                return Outcome(False, attempt, last)
        return Outcome(False, feed.attempts, last)

    async def _once(self, feed: FeedConfig, body: bytes, key: str) -> tuple[str, bool]:
        """("", _) when every target took it; (why not, is it pointless to retry) otherwise."""
        if feed.webhook is not None:
            hook = feed.webhook
            stamp = int(self.wall_clock_s())
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                **sign(hook.secret.get_secret_value().encode(), stamp, body),
            }
            try:
                response = await self.http.post(
                    str(hook.url), content=body, headers=headers, timeout=hook.timeout_s
                )
            except httpx.HTTPError as exc:
                return f"webhook: {type(exc).__name__}: {exc}", False
            if response.status_code >= 300:
                # A 4xx other than 408/429 is the recipient refusing this item: say so at once.
                refused = 400 <= response.status_code < 500 and response.status_code not in (
                    408,
                    429,
                )
                return f"webhook: HTTP {response.status_code}", refused
        if feed.kafka_topic is not None:
            if self.producer is None:
                return "kafka: no producer configured", True
            try:
                await self.producer.send_and_wait(feed.kafka_topic, body, key=key.encode())
            except Exception as exc:  # aiokafka's errors share no base class worth naming
                return f"kafka: {type(exc).__name__}: {exc}", False
        return "", False
