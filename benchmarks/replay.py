"""`firewatch bench replay`: replay a recording with --speed max into a broker and compare with a
raw paho publish loop (one client, QoS 1, same messages) measured in the same run.

Prints JSON: replay msg/s (median and spread of --rounds runs), raw msg/s, ratio, the target
(>= 50,000 msg/s on 2 cores), and the CPU time per message of the replay and of the broker: on
a shared machine the rates move with the neighbours' load, the CPU per message much less.
Rates count messages until the last PUBACK, so nothing is counted that the broker did not take.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import paho.mqtt.client as mqtt

from benchmarks import run_bench
from events.connections import MqttConnection
from firewatch.commands.console import phase
from firewatch.embedded.mosquitto import start_mosquitto
from firewatch.settings import Settings
from runtime.mqtt import SessionOptions, connect, new_client
from simulators import runner
from simulators.engine import Simulation
from simulators.generator import synthetic_fleet
from simulators.recording import Record, emissions_to_records, read_records
from simulators.replay import plan

TARGET_MSG_S = 50_000


@click.command(
    "replay",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench replay --recording run.jsonl.gz --messages 50000",
)
@click.option("--recording", type=click.Path(path_type=Path), help="Default: a synthetic fleet.")
@click.option("--messages", type=int, default=100_000)
@click.option("--rounds", type=int, default=3, help="Replays at full speed: median and spread.")
@click.option("--host", help="Use this broker instead of starting one.")
@click.option("--port", type=int)
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Replay --speed max throughput vs a raw paho loop."""
    return run_bench(ctx, "replay", run, opts)


def synthetic_records(messages: int) -> list[Record]:
    """A deterministic recording: 20 compounds simulated until `messages` were produced."""
    sim = Simulation(synthetic_fleet(20, seed=3), 3, datetime(2026, 1, 1, tzinfo=UTC))
    emissions = list(sim.start())
    t_s = 0.0
    while len(emissions) < messages:
        t_s += 600.0
        emissions += sim.run_until(t_s)
    return list(emissions_to_records(emissions[:messages], sim.start_at))


def raw_paho(conn: MqttConnection, records: list[Record]) -> float:
    """The baseline: publish every record from one client as fast as paho allows."""
    done = threading.Event()
    acked = [0]
    # Bounded like our replay: paho's message ids are 16-bit, so an unbounded queue of more
    # than 65,535 messages overwrites its own entries and never completes.
    window = threading.BoundedSemaphore(1000)

    def on_publish(c: mqtt.Client, u: Any, mid: int, rc: Any, p: Any) -> None:
        acked[0] += 1
        window.release()
        if acked[0] == len(records):
            done.set()

    # The connection's login and TLS policy, like the replay it is compared with.
    client = new_client("fwbench-raw", conn)
    # paho's defaults (20 in flight, unbounded queue): a deeper window makes paho scan its
    # in-flight table on every PUBACK and runs slower, not faster.
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    connect(client, conn, SessionOptions())
    client.loop_start()
    started = time.perf_counter()
    for r in records:
        window.acquire()
        client.publish(r.topic, r.payload, qos=1)
    done.wait(300)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return acked[0] / elapsed


def measure(
    conn: MqttConnection, records: list[Record], rounds: int = 1, broker_pid: int | None = None
) -> dict[str, Any]:
    steps = 2 + rounds
    phase("raw paho loop", of=steps)
    raw = raw_paho(conn, records)
    fast: list[dict[str, float]] = []
    for n in range(rounds):
        phase(f"replay {n + 1}, fast publisher", of=steps)
        fast.append(_fast_round(conn, records, f"fwbench{n}", broker_pid))
    phase("replay, paho pool", of=steps)
    paho = asyncio.run(
        runner.replay(plan(records, None), conn, client_prefix="fwbenchp", is_fast=False)
    )
    rate = statistics.median(r["msg_s"] for r in fast)
    gateways = len({tuple(r.topic.split("/")[2:4]) for r in records})
    return {
        "bench": "replay",
        "messages": len(records),
        "gateways": gateways,
        "rounds": rounds,
        "replay_msg_s": round(rate),
        "replay_msg_s_min": min(r["msg_s"] for r in fast),
        "replay_msg_s_max": max(r["msg_s"] for r in fast),
        "replay_cpu_us_per_msg": statistics.median(r["cpu_us_per_msg"] for r in fast),
        "broker_cpu_us_per_msg": (
            statistics.median(r["broker_cpu_us_per_msg"] for r in fast) if broker_pid else None
        ),
        "per_round": fast,
        "replay_paho_pool_msg_s": round(paho.rate_msg_s),
        "raw_paho_msg_s": round(raw),
        "ratio_vs_raw": round(rate / raw, 3),
        "paho_pool_ratio_vs_raw": round(paho.rate_msg_s / raw, 3),
        "target_msg_s": TARGET_MSG_S,
        "meets_target": rate >= TARGET_MSG_S,
    }


def _fast_round(
    conn: MqttConnection, records: list[Record], prefix: str, broker_pid: int | None
) -> dict[str, float]:
    cpu_s, broker_s = time.process_time(), _cpu_s(broker_pid)
    result = asyncio.run(runner.replay(plan(records, None), conn, client_prefix=prefix))
    per_msg_us = 1e6 / len(records)
    out = {
        "msg_s": round(result.rate_msg_s),
        "cpu_us_per_msg": round((time.process_time() - cpu_s) * per_msg_us, 2),
    }
    if broker_pid is not None:
        out["broker_cpu_us_per_msg"] = round((_cpu_s(broker_pid) - broker_s) * per_msg_us, 2)
    return out


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 without one."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.recording:
        records = list(read_records(args.recording))[: args.messages]
    else:
        records = synthetic_records(args.messages)
    if args.host or args.port:
        conn = settings.mqtt.model_copy(
            update={
                "host": args.host or settings.mqtt.host,
                "port": args.port or settings.mqtt.port,
            }
        )
        print(json.dumps(measure(conn, records, args.rounds)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(Path(tmp) / "mosquitto")
        assert broker.process.proc is not None
        local = MqttConnection(host=broker.host, port=broker.port)
        try:
            print(json.dumps(measure(local, records, args.rounds, broker.process.proc.pid)))
        finally:
            broker.process.stop()
    return 0
