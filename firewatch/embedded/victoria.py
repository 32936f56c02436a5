"""VictoriaMetrics (Debian package `victoria-metrics`): an InfluxDB v2 write API on loopback.

It accepts influxdb-client's writes (`/api/v2/write`) and reads them back through
`/api/v1/export`, naming series `{measurement}_{field}` (STACK-NOTES.md). Used by the sink's
tests and benchmark, and by `firewatch up` when telemetry storage is wanted on one machine.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port

DEFAULT_BINARY = "/usr/bin/victoria-metrics"


class VictoriaMetricsNotInstalled(RuntimeError):
    def __init__(self) -> None:
        super().__init__("victoria-metrics is missing: run `make setup` (apt-get install it)")


def binary() -> str:
    found = shutil.which("victoria-metrics") or DEFAULT_BINARY
    if not Path(found).exists():
        raise VictoriaMetricsNotInstalled
    return found


@dataclass
class VictoriaMetrics:
    """One server on a fixed port and data directory: stop and start it again to restart."""

    data_dir: Path
    log_path: Path | None = None
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> VictoriaMetrics:
        self.process = ManagedProcess(
            "victoria-metrics",
            [
                binary(),
                f"-storageDataPath={self.data_dir}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                # Replayed and simulated data carry old timestamps: the default retention
                # (one month) would refuse them.
                "-retentionPeriod=100y",
                # A redelivered point has the same series and time: keep one, as InfluxDB does.
                "-dedup.minScrapeInterval=1ms",
                "-loggerLevel=ERROR",
            ],
            log_path=self.log_path,
        ).start()
        assert self.process.proc is not None
        try:
            wait_for_port("127.0.0.1", self.port, timeout_s, self.process.proc)
        except BaseException:
            self.process.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def export(self, metric_regex: str) -> list[dict[str, Any]]:
        """Every raw sample of the matching series (flushed to search first)."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=10).raise_for_status()
        response = httpx.post(
            f"{self.url}/api/v1/export",
            data={"match[]": f'{{__name__=~"{metric_regex}"}}'},
            timeout=30,
        )
        response.raise_for_status()
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]
