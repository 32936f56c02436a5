"""A TLS-terminating TCP proxy for the tests: TLS with our test certificate on the outside,
plain bytes to a broker on the inside. Tansu has no TLS listener (STACK-NOTES.md), so this is
how a TLS-only Kafka is built here: Tansu advertises the proxy's address, and every client,
bootstrap or not, reaches the broker through TLS.

It runs its own event loop on a thread: the services under test are other processes, and the
test's own loop may block (subprocess waits, paho's threads) without stalling the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from pathlib import Path

_CHUNK_BYTES = 64 * 1024


class TlsProxy:
    def __init__(self, port: int, upstream: tuple[str, int], cert: Path, key: Path) -> None:
        self.port = port
        self.upstream = upstream
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(str(cert), str(key))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.connections = 0  # accepted after a completed handshake

    def start(self) -> TlsProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self._server = future.result(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._server.wait_closed(), 5)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self) -> asyncio.Server:
        return await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, ssl=self._context, ssl_handshake_timeout=10
        )

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, broker_w), _pipe(broker_r, client_w))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side closes, then close the writer (the other pipe then ends too)."""
    try:
        while chunk := await reader.read(_CHUNK_BYTES):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass  # one side went away: closing the other is all there is to do
    finally:
        writer.close()
