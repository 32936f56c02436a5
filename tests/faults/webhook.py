"""A webhook receiver for dispatch's pages that counts every delivery, and can be down.

A page marked `resend` (dispatch was stopped between sending it and recording the outcome, and
sent it again: at least once) is counted apart: a receiver drops it by its idempotency key when
it has the page already. A repeat not marked so is the defect `twice` finds.

Down means down: the listening socket is closed (connection refused), not an error status.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from firewatch.embedded.process import free_port

PageKey = tuple[str, str, str]  # (incident key, escalation step, recipient)


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.pages: Counter[PageKey] = Counter()
        self.resends: Counter[PageKey] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/page"

    def up(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body: dict[str, Any] = json.loads(
                    self.rfile.read(int(self.headers["content-length"]))
                )
                key = body["incident_key"], body["step"], body["recipient"]
                with receiver._lock:
                    (receiver.resends if body["resend"] else receiver.pages)[key] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # quiet: the counts are the record
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def pages_of(self, incident_keys: list[str]) -> Counter[PageKey]:
        with self._lock:
            every = self.pages + self.resends
            return Counter({k: n for k, n in every.items() if k[0] in incident_keys})

    def twice(self) -> list[PageKey]:
        """Pages delivered more than once without saying so: never, whatever was killed or
        restarted."""
        with self._lock:
            return [k for k, n in self.pages.items() if n > 1]
