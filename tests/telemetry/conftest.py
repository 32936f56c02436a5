"""VictoriaMetrics for the sink tests: the InfluxDB v2 write API on a free loopback port.

Debian's `victoria-metrics` accepts influxdb-client's writes; `/api/v1/export` reads them back
as series named `{measurement}_{field}` (STACK-NOTES.md, time-series storage).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port

VM_BIN = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


@dataclass
class VictoriaMetrics:
    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = ManagedProcess(
            "victoria-metrics",
            [
                VM_BIN,
                f"-storageDataPath={self.data_dir}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                # The scenario is dated 2025: the default retention (1 month) would refuse it.
                "-retentionPeriod=100y",
                # A redelivered point has the same series and time: keep one sample, like InfluxDB.
                "-dedup.minScrapeInterval=1ms",
                "-loggerLevel=ERROR",
            ],
            log_path=self.log_path,
        ).start()
        assert self.process.proc is not None
        wait_for_port("127.0.0.1", self.port, 15.0, self.process.proc)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def export(self, metric_regex: str) -> list[dict[str, Any]]:
        """Every raw sample of the matching series (flushed to search first)."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=10).raise_for_status()
        response = httpx.post(
            f"{self.url}/api/v1/export", data={"match[]": f'{{__name__=~"{metric_regex}"}}'}
        )
        response.raise_for_status()
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    if not Path(VM_BIN).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must provide victoria-metrics")
        pytest.skip("victoria-metrics is not installed (make setup installs it)")
    server = VictoriaMetrics(tmp_path / "vm-data", tmp_path / "vm.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
