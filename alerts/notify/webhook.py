"""Webhook pages over httpx with retries and exponential backoff; a final failure is reported
(and counts toward escalation), never swallowed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import httpx

from alerts.notify.base import Delivery, Page


class WebhookChannel:
    def __init__(
        self,
        client: httpx.AsyncClient,
        retries: int = 3,
        backoff_s: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep

    async def deliver(self, page: Page) -> Delivery:
        body = json.dumps(
            {
                "incident_key": page.incident_key,
                "step": page.step_id,
                "recipient": page.recipient_id,
                "severity": page.severity,
                "title": page.title,
                "body": page.body,
                "at": page.at.isoformat(),
                "resend": page.is_resend,
            }
        )
        headers = {"content-type": "application/json", "idempotency-key": page.idempotency_key}
        last = ""
        for attempt in range(self._retries + 1):
            if attempt:
                await self._sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = await self._client.post(page.address, content=body, headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code < 300:
                return Delivery(True, f"HTTP {response.status_code}")
            last = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code != 429:
                break  # the receiver rejects the page: retrying will not help
        return Delivery(False, f"webhook failed after {attempt + 1} attempts: {last}")
