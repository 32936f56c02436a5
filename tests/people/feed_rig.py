"""A feed recipient's platform in miniature: a real local HTTP server that verifies the
signature of every request it receives, as docs/FEEDS.md tells recipients to."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from alerts.feeds.signing import SignatureError, verify


@dataclass
class Receiver:
    key: bytes
    url: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status while set
    requests: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.fail_with is not None:
            return web.Response(status=self.fail_with)
        body = await request.read()
        try:
            verify(self.key, request.headers, body, time.time())
        except SignatureError as exc:
            self.refused.append(str(exc))
            return web.Response(status=401, text=str(exc))
        self.items.append(json.loads(body))
        return web.Response(status=204)


@asynccontextmanager
async def receiver(key: bytes) -> AsyncIterator[Receiver]:
    rec = Receiver(key)
    app = web.Application()
    app.router.add_post("/firewatch", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/firewatch"
    try:
        yield rec
    finally:
        await runner.cleanup()
