"""`firewatch bench streams`: the stream worker against a raw aiokafka loop, in one run.

1. Throughput: the same backlog on the readings topic is read by (a) a raw aiokafka
   consume -> produce loop and (b) a fresh `firewatch worker` subprocess with every detector
   on, in `--rounds` alternating rounds; the medians of each and their ratio.
2. First fire alert after idle: the worker idles `--idle-s`, then one fire reading; latency
   from produce to the alert on the alerts topic, over `--probes` probes.
3. State cost: bytes per device with `--state-devices` devices (in memory and serialised).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks import run_bench
from benchmarks.streams_load import EPOCH, payloads, state_cost
from events.alerts import Alert, AlertKind
from events.codec import encode_model
from events.readings import SmokeReading
from events.topics import Topics
from firewatch.commands.console import phase
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import start_tansu
from firewatch.kafka_admin import ensure_topics
from firewatch.settings import Settings

_SINK = "bench.raw.sink"


@click.command(
    "streams",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench streams --skip latency,state --rounds 1",
)
@click.option("--events", type=int, default=100_000)
@click.option("--devices", type=int, default=2_000)
@click.option(
    "--idle-s",
    type=float,
    default=600.0,
    help="Idle before each first-alarm latency probe (10 min by default).",
)
@click.option("--probes", type=int, default=20, help="Latency probes after idle.")
@click.option("--rounds", type=int, default=3, help="Throughput rounds (medians).")
@click.option("--state-devices", type=int, default=100_000)
@click.option("--skip", default="", help="Comma list of: throughput,latency,state.")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Stream worker (all detectors) vs a raw aiokafka consume->produce loop."""
    return run_bench(ctx, "streams", run, opts)


def run(args: argparse.Namespace, settings: Settings) -> int:
    skip = set(filter(None, args.skip.split(",")))
    result: dict[str, Any] = {"bench": "streams"}
    if not {"throughput", "latency"} <= skip:
        result.update(asyncio.run(_broker_benches(args, skip)))
    if "state" not in skip:
        result["state"] = state_cost(args.state_devices)
        result["state"]["target_bytes_per_device"] = 2048
    print(json.dumps(result, indent=2))
    return 0


async def _broker_benches(args: argparse.Namespace, skip: set[str]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fw-bench-streams-"))
    broker = start_tansu(log_path=tmp / "tansu.log")
    out: dict[str, Any] = {}
    try:
        await ensure_topics(broker.bootstrap)
        data = payloads(args.events, args.devices)
        await _produce(broker.bootstrap, Topics.READINGS, data)
        if "throughput" not in skip:
            out["throughput"] = await _throughput(broker.bootstrap, tmp, data, args)
        if "latency" not in skip:
            metrics_port = free_port()
            worker = _start_worker(broker.bootstrap, tmp, metrics_port, "fw-bench-latency")
            try:
                await _worker_rate(worker, metrics_port, len(data))  # caught up: now idle
                phase(
                    f"{args.probes} latency probes after {args.idle_s:.0f} s idle",
                    of=args.rounds + 1,
                )
                out["first_alert_after_idle"] = await _latency(broker.bootstrap, args)
            finally:
                worker.stop()
    finally:
        broker.process.stop()
    return out


async def _throughput(
    bootstrap: str, tmp: Path, data: list[tuple[bytes, bytes]], args: argparse.Namespace
) -> dict[str, Any]:
    """Rounds of the raw loop then a fresh worker (its own group, from the start of the same
    backlog), side by side in time: the machine is shared and a single run of either swings
    by a third. The medians and their ratio are the result."""
    raws, workers = [], []
    for i in range(args.rounds):
        phase(f"throughput round {i + 1}", of=args.rounds + 1)
        raws.append(await _raw_loop(bootstrap, len(data), f"bench-raw-{i}"))
        metrics_port = free_port()
        worker = _start_worker(bootstrap, tmp, metrics_port, f"fw-bench-{i}")
        try:
            workers.append(await _worker_rate(worker, metrics_port, len(data)))
        finally:
            worker.stop()
    raw, rate = statistics.median(r.rate for r in raws), statistics.median(w.rate for w in workers)
    return {
        "events": len(data),
        "devices": args.devices,
        "rounds": args.rounds,
        "raw_aiokafka_events_per_s": round(raw),
        "worker_events_per_s": round(rate),
        "ratio_worker_vs_raw": round(rate / raw, 3),
        "raw_rounds_events_per_s": [round(r.rate) for r in raws],
        "worker_rounds_events_per_s": [round(w.rate) for w in workers],
        # CPU per event moves much less than the rates when neighbours take the cores
        # (docs/PERFORMANCE.md): the worker's whole process, the raw loop's whole process.
        "raw_cpu_us_per_event": round(statistics.median(r.cpu_us for r in raws), 2),
        "worker_cpu_us_per_event": round(statistics.median(w.cpu_us for w in workers), 2),
        "worker_cpu_us_per_event_without_scrapes": round(
            statistics.median(w.work_cpu_us for w in workers), 2
        ),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "targets": {"worker_events_per_s": 5000, "ratio": 0.6},
    }


async def _produce(bootstrap: str, topic: str, data: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in data]
        await producer.flush()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _raw_loop(bootstrap: str, expected: int, group_id: str) -> Rate:
    """The baseline: consume the backlog and produce every record to a sink, no decoding."""
    consumer = AIOKafkaConsumer(
        Topics.READINGS,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        session_timeout_ms=8000,
        heartbeat_interval_ms=1000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await consumer.start()
    await producer.start()
    try:
        seen, started, cpu_started = 0, 0.0, 0.0
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                if not started:
                    started, cpu_started = time.perf_counter(), time.process_time()
                for rec in records:
                    await producer.send(_SINK, value=rec.value, key=rec.key)
                seen += len(records)
        await producer.flush()
        cpu_us = (time.process_time() - cpu_started) / expected * 1e6
        return Rate(expected / (time.perf_counter() - started), cpu_us)
    finally:
        await consumer.stop()
        await producer.stop()


def _start_worker(bootstrap: str, tmp: Path, metrics_port: int, app_id: str) -> ManagedProcess:
    argv = [
        sys.executable,
        "-m",
        "firewatch",
        "--log-level",
        "WARNING",
        "worker",
        "--bootstrap",
        bootstrap,
        "--flavour",
        "tansu",
        "--app-id",
        app_id,
        "--data-dir",
        str(tmp / app_id),
        "--metrics-port",
        str(metrics_port),
    ]
    return ManagedProcess("worker", argv, log_path=tmp / f"{app_id}.log").start()


def _events_seen(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return 0.0
    total = 0.0
    for line in text.splitlines():
        if line.startswith("firewatch_streams_events_total{") and Topics.READINGS in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _worker_rate(worker: ManagedProcess, port: int, expected: int) -> Rate:
    """From the first event the worker counted to the last (its start-up is not counted)."""
    deadline = time.monotonic() + 600
    first_t = last_t = 0.0
    first_cpu = last_cpu = (0.0, 0.0)
    first_n = 0.0
    while time.monotonic() < deadline and worker.is_running():
        seen = await asyncio.to_thread(_events_seen, port)
        now, cpu = time.perf_counter(), (cpu_seconds(worker.pid), work_cpu_seconds(worker.pid))
        if seen and not first_t:
            first_t, first_n, first_cpu = now, seen, cpu
        if seen >= expected:
            last_t, last_cpu = now, cpu
            break
        # Each scrape costs the worker a thread and a /proc read: 5 a second, not 20 (at
        # 20/s the scrapes took ~8 % of its CPU). Reading late only lowers the rate.
        await asyncio.sleep(0.2)
    if not last_t:
        raise RuntimeError(f"worker did not finish the backlog (see its log): {worker.argv}")
    events = max(expected - first_n, 1.0)
    return Rate(
        events / max(last_t - first_t, 1e-6),
        (last_cpu[0] - first_cpu[0]) / events * 1e6,
        (last_cpu[1] - first_cpu[1]) / events * 1e6,
    )


class Rate(NamedTuple):
    rate: float  # events per second
    cpu_us: float  # CPU per event, all threads of the process
    work_cpu_us: float = 0.0  # live threads only: less the scrapes' (work_cpu_seconds)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/PID/stat, fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def work_cpu_seconds(pid: int) -> float:
    """User + system CPU of the process's live threads: the worker less this bench's own
    /metrics scrapes (5 a second, a cost per second of the run, not per event). Each scrape is
    served on a thread that ends with it (ThreadingHTTPServer), and an ended thread's CPU
    stays only in the process total. Measured: 0.1-0.3 us per event at 30k events/s."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def _latency(bootstrap: str, args: argparse.Namespace) -> dict[str, Any]:
    # The measuring client polls like a dispatch service should on Tansu (faust_compat).
    consumer = AIOKafkaConsumer(
        Topics.ALERTS,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        fetch_max_wait_ms=20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await consumer.start()
    await producer.start()
    samples_ms = []
    try:
        for probe in range(args.probes):
            await asyncio.sleep(args.idle_s)  # the idle under test: nothing flows
            device = f"probe-{probe}"
            reading = SmokeReading(
                device_id=device,
                compound_id="bench",
                gateway_id="gw",
                seq=1,
                observed_at=EPOCH,
                obscuration_db_per_m=0.3,
                temperature_c=80.0,
                battery_pct=90.0,
            )
            sent = time.perf_counter()
            await producer.send_and_wait(
                Topics.READINGS, value=encode_model(reading), key=device.encode()
            )
            samples_ms.append(await _await_fire(consumer, device, sent))
    finally:
        await consumer.stop()
        await producer.stop()
    samples_ms.sort()
    p99 = samples_ms[min(len(samples_ms) - 1, round(0.99 * (len(samples_ms) - 1)))]
    return {
        "idle_s": args.idle_s,
        "probes": len(samples_ms),
        "p50_ms": samples_ms[len(samples_ms) // 2],
        "p99_ms": p99,
        "max_ms": samples_ms[-1],
        "target_p99_ms": 250,
    }


async def _await_fire(consumer: AIOKafkaConsumer, device: str, sent: float) -> float:
    async with asyncio.timeout(60):
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for rec in records:
                    alert = Alert.model_validate_json(rec.value)
                    if alert.kind is AlertKind.FIRE and alert.device_id == device:
                        return round((time.perf_counter() - sent) * 1000, 1)
