"""Telemetry sink throughput: points/s through decode, convert, batch and write, against a raw
influxdb-client write loop of the same lines in the same batch size, on the same server."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import click
from prometheus_client import CollectorRegistry

from benchmarks import run_bench
from events.codec import decode_reading, encode_model
from events.readings import ChargingPortReading, PortState, RelayState, SmokeReading
from firewatch.commands.console import phase
from firewatch.embedded.victoria import VictoriaMetrics
from firewatch.settings import Settings
from streams.telemetry.config import SinkConfig
from streams.telemetry.lines import to_line
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.sink import TelemetrySink
from streams.telemetry.writer import InfluxWriter

_TOPIC = "bench.readings"


@click.command(
    "sink",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench sink --points 20000 --rounds 3",
)
@click.option("--points", type=int, default=50_000)
@click.option("--batch-size", type=int, default=5_000)
@click.option("--seed", type=int, default=1)
@click.option("--rounds", type=int, default=2, help="Alternated runs; best is kept.")
@click.option("--influx-url", help="InfluxDB v2 URL (default: start VictoriaMetrics).")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Telemetry sink vs a raw influxdb-client write loop."""
    return run_bench(ctx, "sink", run, opts)


class _TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class _Record:
    topic: str
    partition: int
    offset: int
    value: bytes


class _MemoryConsumer:
    """Pre-filled single partition: isolates the sink's own work from Kafka's."""

    def __init__(self, values: Sequence[bytes]) -> None:
        self._tp = _TP(_TOPIC, 0)
        self._records = [_Record(_TOPIC, 0, n, v) for n, v in enumerate(values)]
        self._position = 0
        self.committed = 0

    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> Mapping[Any, Any]:
        end = min(len(self._records), self._position + (max_records or len(self._records)))
        taken, self._position = self._records[self._position : end], end
        if not taken:
            await asyncio.sleep(timeout_ms / 1000)
        return {self._tp: taken} if taken else {}

    def assignment(self) -> set[Any]:
        return {self._tp}

    def pause(self, *partitions: Any) -> None: ...

    def resume(self, *partitions: Any) -> None: ...

    def highwater(self, partition: Any) -> int | None:
        return len(self._records)

    async def commit(self, offsets: Mapping[Any, int]) -> None:
        self.committed = max(offsets.values())


def _readings(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    start = datetime(2025, 11, 3, tzinfo=UTC)
    out: list[bytes] = []
    for n in range(count):
        base = {
            "device_id": f"d-{n % 1000}",
            "compound_id": f"c-{n % 1000 // 50}",
            "gateway_id": f"g-{n % 1000 // 50}",
            "building_id": f"b-{n % 7}",
            "seq": n // 1000 + 1,
            "observed_at": start + timedelta(seconds=n // 1000, microseconds=n % 1000),
        }
        model = (
            SmokeReading(
                **base,
                obscuration_db_per_m=round(rng.uniform(0, 0.04), 4),
                temperature_c=round(rng.gauss(22, 1.5), 2),
                battery_pct=90.0,
            )
            if n % 2
            else ChargingPortReading(
                **base,
                station_id="st-1",
                port_no=n % 16,
                voltage_v=round(rng.uniform(47, 54), 2),
                current_a=round(rng.uniform(1, 4), 3),
                power_w=round(rng.uniform(50, 200), 1),
                energy_wh=float(n % 500),
                socket_temp_c=round(rng.gauss(28, 2), 2),
                leakage_ma=round(rng.uniform(0, 3), 2),
                port_state=PortState.CHARGING,
                relay_state=RelayState.ON,
            )
        )
        out.append(encode_model(model))
    return out


async def _sink_rate(config: SinkConfig, values: Sequence[bytes]) -> float:
    consumer = _MemoryConsumer(values)
    stop = asyncio.Event()
    async with InfluxWriter(config) as writer:
        sink = TelemetrySink(config, consumer, writer, SinkMetrics(CollectorRegistry()))
        started = time.perf_counter()
        while consumer.committed < len(values) - 1:
            await sink.step(stop)
        return len(values) / (time.perf_counter() - started)


async def _raw_rate(config: SinkConfig, lines: Sequence[str]) -> float:
    async with InfluxWriter(config) as writer:
        started = time.perf_counter()
        for start in range(0, len(lines), config.batch_size):
            await writer.write(lines[start : start + config.batch_size])
        return len(lines) / (time.perf_counter() - started)


async def _measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    values = _readings(args.points, args.seed)
    # The raw loop gets its lines for free (converted before the clock starts). An untimed
    # warm-up write creates every series first, so neither timed run pays for series creation
    # (VictoriaMetrics ignores the bucket: both runs write the same series).
    lines = [to_line(decode_reading(v)) for v in values]
    config = SinkConfig(url=url, batch_size=args.batch_size, flush_interval_s=0.5)
    phase("warm-up write", of=1 + args.rounds)
    await _raw_rate(config, lines)
    raw, sink = 0.0, 0.0
    for i in range(args.rounds):
        phase(
            f"round {i + 1}: raw loop, then the sink", of=1 + args.rounds
        )  # alternated, best of each: the server's background merges
        raw = max(raw, await _raw_rate(config, lines))  # then hit both alike
        sink = max(sink, await _sink_rate(config, values))
    return {
        "points": args.points,
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "sink_points_per_s": round(sink),
        "raw_write_points_per_s": round(raw),
        "sink_vs_raw_ratio": round(sink / raw, 3),
        "mean_line_bytes": round(sum(map(len, lines)) / len(lines), 1),
    }


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.influx_url:
        result = asyncio.run(_measure(args.influx_url, args))
        result["server"] = args.influx_url
    else:
        with tempfile.TemporaryDirectory(prefix="fw-bench-vm-") as tmp:
            server = VictoriaMetrics(Path(tmp) / "data", Path(tmp) / "vm.log").start()
            try:
                result = asyncio.run(_measure(server.url, args))
            finally:
                server.stop()
        result["server"] = "victoria-metrics (embedded, loopback)"
    print(json.dumps(result, indent=2))
    return 0
