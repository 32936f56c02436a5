"""Telemetry sink throughput: points/s through decode, convert, batch, write and commit, against
a raw influxdb-client loop writing the same lines (converted before the clock starts) in the same
batch size, on the same server. Two raw loops: the client given each batch as a list of lines
(`write_api.write(record=lines)`, the plain loop: the ratio issue #17 tracks), and the client
given ready bodies (already joined and encoded: the server's limit through the client). Each
raw loop writes the points again until it has run `--raw-min-s`, so one server flush does not
decide its rate.

Rounds alternate the loops and the sink (the server's background merges hit all alike); ratios
are taken per round, and the median and spread of the rounds are reported, with the CPU per point
of the sink's process and of the plain client loop (and of the embedded server during the sink's
run): on a shared machine the rates move with the neighbours, the CPU per point much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import click
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from prometheus_client import CollectorRegistry

from benchmarks import run_bench
from events.codec import decode_reading, encode_model
from events.readings import ChargingPortReading, PortState, RelayState, SmokeReading
from firewatch.commands.console import phase
from firewatch.embedded.victoria import VictoriaMetrics
from firewatch.settings import Settings
from streams.telemetry.config import SinkConfig
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.sink import TelemetrySink
from streams.telemetry.templates import to_line
from streams.telemetry.writer import InfluxWriter

_TOPIC = "bench.readings"
_MAX_POLL_RECORDS = SinkConfig().max_poll_records  # what aiokafka gives per poll at most
_DEADLINE_S = 300.0  # a sink that has not committed everything by then is broken, not slow


@click.command(
    "sink",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench sink --points 20000 --rounds 3",
)
@click.option("--points", type=int, default=50_000)
@click.option("--batch-size", type=int, default=5_000)
@click.option("--seed", type=int, default=1)
@click.option("--rounds", type=int, default=5, help="Alternated runs: median and spread.")
# A raw loop writes the points again (the same series and times: idempotent) until it has run
# this long: 50,000 points took it 0.25-1.1 s, so one server flush or merge, or a neighbour's
# burst, swung a round's raw rate 3x (44k-222k points/s) and its ratio with it.
@click.option("--raw-min-s", type=float, default=1.5, help="Each raw loop runs at least this.")
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
    """Pre-filled single partition: isolates the sink's own work from Kafka's. Paused, it
    gives nothing, as aiokafka does (the sink holds at most two batches)."""

    def __init__(self, values: Sequence[bytes]) -> None:
        self._tp = _TP(_TOPIC, 0)
        self._records = [_Record(_TOPIC, 0, n, v) for n, v in enumerate(values)]
        self._position = 0
        self._is_paused = False
        self.committed = 0
        self.all_committed = asyncio.Event()
        self.all_committed_at_s = 0.0

    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> Mapping[Any, Any]:
        end = min(len(self._records), self._position + (max_records or _MAX_POLL_RECORDS))
        if self._is_paused:
            end = self._position
        taken, self._position = self._records[self._position : end], end
        if not taken:
            await asyncio.sleep(timeout_ms / 1000)
        return {self._tp: taken} if taken else {}

    def assignment(self) -> set[Any]:
        return {self._tp}

    def pause(self, *partitions: Any) -> None:
        self._is_paused = True

    def resume(self, *partitions: Any) -> None:
        self._is_paused = False

    def highwater(self, partition: Any) -> int | None:
        return len(self._records)

    async def commit(self, offsets: Mapping[Any, int]) -> None:
        self.committed = max(offsets.values())
        if self.committed == len(self._records):
            self.all_committed_at_s = time.perf_counter()
            self.all_committed.set()


def _readings(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    start = datetime(2025, 11, 3, tzinfo=UTC)
    out: list[bytes] = []
    for n in range(count):
        observed_at = start + timedelta(seconds=n // 1000, microseconds=n % 1000)
        base = {
            "device_id": f"d-{n % 1000}",
            "compound_id": f"c-{n % 1000 // 50}",
            "gateway_id": f"g-{n % 1000 // 50}",
            "building_id": f"b-{n % 7}",
            "seq": n // 1000 + 1,
            "observed_at": observed_at,
            # As on the readings topic: the bridge stamps every reading (the sink writes the
            # device -> bridge delay as `transit_ms`).
            "received_at": observed_at + timedelta(milliseconds=40 + n % 300),
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


class _Rate(NamedTuple):
    points_per_s: float
    cpu_us: float  # CPU of this process per point (the sink's, or the client loop's)
    server_cpu_us: float  # CPU of the embedded server per point (0: not ours to read)


async def _sink_rate(config: SinkConfig, values: Sequence[bytes], server_pid: int | None) -> _Rate:
    """Points/s from the sink's start to the commit of the last record."""
    consumer = _MemoryConsumer(values)
    stop = asyncio.Event()
    async with InfluxWriter(config) as writer:
        sink = TelemetrySink(config, consumer, writer, SinkMetrics(CollectorRegistry()))
        started_s, cpu_s, server_s = time.perf_counter(), time.process_time(), _cpu_s(server_pid)
        running = asyncio.create_task(sink.run(stop))
        try:
            await asyncio.wait_for(consumer.all_committed.wait(), _DEADLINE_S)
            cpu_s, server_s = time.process_time() - cpu_s, _cpu_s(server_pid) - server_s
        finally:
            stop.set()
            await running
        points = len(values)
        rate = points / (consumer.all_committed_at_s - started_s)
        return _Rate(rate, cpu_s / points * 1e6, server_s / points * 1e6)


async def _raw_rate(
    url: str, batches: Sequence[Sequence[str] | bytes], points: int, min_s: float = 0.0
) -> _Rate:
    """influxdb-client alone, writing one batch after the other, all of them again until
    `min_s` have passed."""
    async with InfluxDBClientAsync(url=url, token="", org="firewatch") as client:
        api = client.write_api()
        started_s, cpu_s, written = time.perf_counter(), time.process_time(), 0
        while not written or time.perf_counter() - started_s < min_s:
            for batch in batches:
                await api.write(bucket="telemetry", record=batch)
            written += points
        cpu_us = (time.process_time() - cpu_s) / written * 1e6
        return _Rate(written / (time.perf_counter() - started_s), cpu_us, 0.0)


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 without one."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(url: str, args: argparse.Namespace, server_pid: int | None) -> dict[str, Any]:
    values = _readings(args.points, args.seed)
    # The raw loops get their lines for free (converted before the clock starts). An untimed
    # warm-up write creates every series first, so no timed run pays for series creation
    # (VictoriaMetrics ignores the bucket: all runs write the same series).
    lines = [to_line(decode_reading(v)) for v in values]
    batches = [lines[n : n + args.batch_size] for n in range(0, len(lines), args.batch_size)]
    bodies = ["\n".join(batch).encode() for batch in batches]
    config = SinkConfig(url=url, batch_size=args.batch_size, flush_interval_s=0.5)
    phase("warm-up write", of=1 + args.rounds)
    await _raw_rate(url, bodies, len(lines))
    rounds: list[dict[str, float]] = []
    for i in range(args.rounds):
        phase(f"round {i + 1}: raw loops, then the sink", of=1 + args.rounds)
        raw = await _raw_rate(url, batches, len(lines), args.raw_min_s)
        raw_bodies = (await _raw_rate(url, bodies, len(lines), args.raw_min_s)).points_per_s
        sink = await _sink_rate(config, values, server_pid)
        rounds.append(
            {
                "raw": round(raw.points_per_s),
                "raw_bodies": round(raw_bodies),
                "sink": round(sink.points_per_s),
                "ratio": round(sink.points_per_s / raw.points_per_s, 3),
                "ratio_bodies": round(sink.points_per_s / raw_bodies, 3),
                "sink_cpu_us": round(sink.cpu_us, 2),
                "raw_cpu_us": round(raw.cpu_us, 2),
                "server_cpu_us": round(sink.server_cpu_us, 2),
            }
        )
    return {
        "points": args.points,
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "raw_min_s": args.raw_min_s,
        "sink_points_per_s": _median(rounds, "sink"),
        "raw_write_points_per_s": _median(rounds, "raw"),
        "raw_bodies_points_per_s": _median(rounds, "raw_bodies"),
        "sink_vs_raw_ratio": _median(rounds, "ratio"),
        "ratio_min": min(r["ratio"] for r in rounds),
        "ratio_max": max(r["ratio"] for r in rounds),
        "sink_vs_raw_bodies_ratio": _median(rounds, "ratio_bodies"),
        "sink_cpu_us_per_point": _median(rounds, "sink_cpu_us"),
        "raw_cpu_us_per_point": _median(rounds, "raw_cpu_us"),
        "server_cpu_us_per_point": _median(rounds, "server_cpu_us"),
        "load_average": os.getloadavg()[0],
        "per_round": rounds,
        "mean_line_bytes": round(sum(map(len, lines)) / len(lines), 1),
    }


def _median(rounds: Sequence[Mapping[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.influx_url:
        result = asyncio.run(_measure(args.influx_url, args, None))
        result["server"] = args.influx_url
    else:
        with tempfile.TemporaryDirectory(prefix="fw-bench-vm-") as tmp:
            server = VictoriaMetrics(Path(tmp) / "data", Path(tmp) / "vm.log").start()
            try:
                proc = server.process.proc if server.process else None
                pid = proc.pid if proc else None
                result = asyncio.run(_measure(server.url, args, pid))
            finally:
                server.stop()
        result["server"] = "victoria-metrics (embedded, loopback)"
    print(json.dumps(result, indent=2))
    return 0
