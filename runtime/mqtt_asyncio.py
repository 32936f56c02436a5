"""Drive paho clients from an asyncio loop through paho's socket callbacks (no network thread).

The loop watches each client's socket and calls `loop_read` / `loop_write` when it is ready,
and `loop_misc` once a second for keep-alives (the pattern of paho's own
examples/loop_asyncio.py). One OS thread then serves any number of clients, and a subscriber's
Kafka writes and its MQTT acknowledgements live on the same thread: nothing waits on a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

# paho's loop_misc sends PINGREQ and notices a dead connection; keepalive is >= 5 s
# (MqttConnection), so once a second is well inside it.
_MISC_INTERVAL_S = 1.0


class AsyncioDriver:
    """Attach to a client before `connect()`; all its I/O then runs on `loop`.

    `on_readable` replaces `client.loop_read` as the reaction to a readable socket (the bridge
    reads in batches); it must call `loop_read` itself.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: mqtt.Client,
        on_readable: Callable[[], object] | None = None,
    ) -> None:
        self.loop = loop
        self.client = client
        self._on_readable = on_readable or client.loop_read
        self._sock: Any = None
        self._misc: asyncio.Task[None] | None = None
        client.on_socket_open = self._socket_open
        client.on_socket_close = self._socket_close
        client.on_socket_register_write = self._register_write
        client.on_socket_unregister_write = self._unregister_write

    def _socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sock = sock
        self.loop.add_reader(sock, self._on_readable)
        if self._misc is None or self._misc.done():
            self._misc = self.loop.create_task(self._misc_loop())

    def _socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.remove_reader(sock)
        self.loop.remove_writer(sock)
        self._sock = None
        self.stop()

    def _register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.add_writer(sock, client.loop_write)

    def _unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.remove_writer(sock)

    def pause_reading(self) -> None:
        """Stop reading the socket (draining before a stop); the broker's window then fills."""
        if self._sock is not None:
            self.loop.remove_reader(self._sock)

    def resume_reading(self) -> None:
        """Watch the socket again after `pause_reading` (a new socket is watched anyway)."""
        if self._sock is not None:
            self.loop.add_reader(self._sock, self._on_readable)

    def stop(self) -> None:
        if self._misc is not None:
            self._misc.cancel()
            self._misc = None

    async def _misc_loop(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                if self.client.loop_misc() != mqtt.MQTT_ERR_SUCCESS:
                    return  # the connection is gone; the next socket_open starts a new loop
                await asyncio.sleep(_MISC_INTERVAL_S)
