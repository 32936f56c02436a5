"""Drive paho clients from an asyncio loop through paho's socket callbacks.

One OS thread serves any number of clients: the loop watches every client's socket and calls
`loop_read` / `loop_write` when it is ready, plus `loop_misc` once a second for keep-alives
(the pattern of paho's own examples/loop_asyncio.py). Thread-per-client (`loop_start`) does not
scale to hundreds of gateways.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from events.connections import MqttConnection

if TYPE_CHECKING:  # paho defines it for type checkers only
    from paho.mqtt.client import SocketLike


def new_client(client_id: str, conn: MqttConnection) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    if conn.username:
        password = conn.password.get_secret_value() if conn.password else None
        client.username_pw_set(conn.username, password)
    if conn.uses_tls:
        client.tls_set(
            ca_certs=str(conn.tls_ca_file),
            certfile=str(conn.tls_cert_file) if conn.tls_cert_file else None,
            keyfile=str(conn.tls_key_file) if conn.tls_key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
        client.tls_insecure_set(conn.tls_insecure)
    return client


class AsyncioDriver:
    """Attach to a client before `connect()`; all its I/O then runs on `loop`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: mqtt.Client) -> None:
        self.loop = loop
        self.client = client
        self._misc: asyncio.Task[None] | None = None
        client.on_socket_open = self._on_open
        client.on_socket_close = self._on_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write

    def _on_open(self, client: mqtt.Client, userdata: Any, sock: SocketLike) -> None:
        self.loop.add_reader(sock, client.loop_read)
        if self._misc is None or self._misc.done():
            self._misc = self.loop.create_task(self._misc_loop())

    def _on_close(self, client: mqtt.Client, userdata: Any, sock: SocketLike) -> None:
        self.loop.remove_reader(sock)

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: SocketLike) -> None:
        self.loop.add_writer(sock, client.loop_write)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: SocketLike) -> None:
        self.loop.remove_writer(sock)

    async def _misc_loop(self) -> None:
        # Keep-alive pings and retries are time-driven, not socket-driven: poll once a second.
        while self.client.loop_misc() == mqtt.MQTT_ERR_SUCCESS:  # noqa: ASYNC110
            await asyncio.sleep(1.0)

    def stop(self) -> None:
        if self._misc is not None:
            self._misc.cancel()
