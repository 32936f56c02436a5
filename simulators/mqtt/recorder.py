"""`firewatch record`: subscribe and write every message with its receive time, QoS and retain.

One paho client on its own network thread (one subscriber does not need the asyncio pool).
Re-subscribes on every reconnect (STACK-NOTES.md). The receive clock is injected
(runtime.clock; the record keeps epoch seconds).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from events.connections import MqttConnection
from runtime.clock import Clock, SystemClock
from runtime.mqtt import SessionOptions, connect, new_client
from simulators.recording import Record, RecordingWriter


class Recorder:
    def __init__(
        self,
        conn: MqttConnection,
        writer: RecordingWriter,
        *,
        filters: Sequence[str] = ("fw/v1/#",),
        client_id: str = "fwrec",
        clock: Clock | None = None,
    ) -> None:
        self.conn = conn
        self.writer = writer
        self.filters = list(filters)
        self.clock = clock or SystemClock()
        self.count = 0
        self._subscribed = threading.Event()
        self._lock = threading.Condition()
        self.client = new_client(client_id, conn)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(self, c: mqtt.Client, u: Any, f: Any, rc: ReasonCode, p: Any) -> None:
        if not rc.is_failure:
            c.subscribe([(topic, 1) for topic in self.filters])

    def _on_subscribe(
        self, c: mqtt.Client, u: Any, mid: int, rcs: list[ReasonCode], p: Any
    ) -> None:
        self._subscribed.set()

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        record = Record(
            self.clock.now_s(), msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain)
        )
        with self._lock:
            self.writer.write(record)
            self.count += 1
            self._lock.notify_all()

    def start(self, timeout_s: float = 10.0) -> None:
        connect(self.client, self.conn, SessionOptions(clean_start=True))
        self.client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise TimeoutError(f"no SUBACK from {self.conn.endpoint} within {timeout_s} s")

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Block until `count` messages were recorded or the deadline passed."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self.count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def wait_idle(self, idle_s: float, timeout_s: float) -> int:
        """Block until no message arrived for `idle_s` (or the deadline); return the count."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            last = self.count
            while time.monotonic() < deadline:
                self._lock.wait(min(idle_s, max(0.0, deadline - time.monotonic())))
                if self.count == last:
                    break
                last = self.count
            return self.count

    def flush(self) -> None:
        """Make everything recorded so far readable from the file."""
        with self._lock:
            self.writer.flush()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            self.writer.flush()
