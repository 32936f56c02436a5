"""The worker's /readyz follows Kafka away and back (issue #16 item 3): with the cluster frozen
(SIGSTOP: sockets open, no answers) the group membership stays as it was, so it is the
`kafka.reachable` probe that says 503, naming only itself; 200 again once Kafka answers. The
worker is `firewatch worker` as deployed, on its metrics port."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from tests.polling import wait_for

pytestmark = pytest.mark.integration

CHECKS = {"kafka.group_joined", "kafka.reachable", "worker.state_loaded"}


@pytest.fixture
def worker(kafka: TansuBroker, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    flags = f"--bootstrap {kafka.bootstrap} --flavour tansu --app-id fw-it-ready"
    argv = [sys.executable, "-m", "firewatch", "--log-level", "WARNING", "worker"]
    argv += [*flags.split(), "--data-dir", str(tmp_path / "w"), "--metrics-port", str(port)]
    proc = ManagedProcess("worker", argv, log_path=tmp_path / "worker.log").start()
    try:
        yield port
    finally:
        proc.stop()


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    try:
        res = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    except httpx.HTTPError:
        return 0, {}  # not listening yet
    return res.status_code, json.loads(res.text)


async def _until(port: int, status: int, failing: list[str], what: str) -> dict[str, object]:
    async def now() -> dict[str, object] | None:
        code, body = await asyncio.to_thread(_readyz, port)
        return body if code == status and body.get("failing") == failing else None

    body: dict[str, object] = await wait_for(now, 90, what=what, every_s=0.5)
    return body


async def test_readiness_follows_a_frozen_kafka_away_and_back(
    kafka: TansuBroker, worker: int
) -> None:
    body = await _until(worker, 200, [], "the worker ready")
    assert body["checks"] == dict.fromkeys(CHECKS, True)
    kafka.process.pause()
    try:
        await _until(worker, 503, ["kafka.reachable"], "503 naming Kafka")
    finally:
        kafka.process.resume()
    await _until(worker, 200, [], "ready again")
