"""`/metrics`, `/healthz` and `/readyz` on one port, from our own handler.

Not prometheus_client's `start_http_server`: it answers every path with the metrics page, so a
probe of `/readyz` served that way is always 200 and can never say "not ready"
(STACK-NOTES.md). Here `/healthz` and `/readyz` report the process's named checks
(runtime.health): 200 when all pass, 503 naming the failing ones, JSON either way.
Served from a daemon thread, so a scrape never waits for the service's event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from runtime.health import Health, Report

log = logging.getLogger(__name__)

Response = tuple[int, bytes, str]
_JSON = "application/json"
_NOT_FOUND: Response = (404, b"not found: /metrics, /healthz, /readyz\n", "text/plain")
# Scraped by Prometheus and probed by Kubernetes from outside the pod or container: all
# interfaces by default; a local stack passes 127.0.0.1.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - see the comment above


def _report(report: Report) -> Response:
    return (200 if report.ok else 503), report.to_json(), _JSON


class MetricsServer:
    def __init__(
        self,
        port: int,
        health: Health,
        *,
        host: str = ALL_INTERFACES,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        routes: dict[str, Callable[[], Response]] = {
            "/metrics": lambda: (200, generate_latest(registry), CONTENT_TYPE_LATEST),
            "/healthz": lambda: _report(health.liveness()),
            "/readyz": lambda: _report(health.readiness()),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status, body, content_type = route() if route else _NOT_FOUND
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # probes every few seconds would flood the log

        self.health = health
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("metrics on :%d (/metrics, /healthz, /readyz)", self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_metrics_server(
    port: int,
    health: Health,
    *,
    host: str = ALL_INTERFACES,
    registry: CollectorRegistry = REGISTRY,
) -> MetricsServer | None:
    """Start the endpoint; `port` 0 means metrics are off (returns None)."""
    if port == 0:
        return None
    return MetricsServer(port, health, host=host, registry=registry).start()
