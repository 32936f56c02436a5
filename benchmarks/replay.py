"""`firewatch bench replay`: replay a recording with --speed max into a broker and compare with a
raw paho publish loop (one client, QoS 1, same messages) measured in the same run.

Prints JSON: replay msg/s, raw msg/s, ratio, and the target (>= 20,000 msg/s on 2 cores).
Rates count messages until the last PUBACK, so nothing is counted that the broker did not take.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

TARGET_MSG_S = 20_000


@click.command(
    "replay",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench replay --recording run.jsonl.gz --messages 50000",
)
@click.option("--recording", type=click.Path(path_type=Path), help="Default: a synthetic fleet.")
@click.option("--messages", type=int, default=100_000)
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


def measure(conn: MqttConnection, records: list[Record]) -> dict[str, Any]:
    phase("raw paho loop", of=3)
    raw = raw_paho(conn, records)
    phase("replay, fast publisher", of=3)
    fast = asyncio.run(runner.replay(plan(records, None), conn, client_prefix="fwbench"))
    phase("replay, paho pool", of=3)
    paho = asyncio.run(
        runner.replay(plan(records, None), conn, client_prefix="fwbenchp", is_fast=False)
    )
    gateways = len({tuple(r.topic.split("/")[2:4]) for r in records})
    return {
        "bench": "replay",
        "messages": len(records),
        "gateways": gateways,
        "replay_msg_s": round(fast.rate_msg_s),
        "replay_paho_pool_msg_s": round(paho.rate_msg_s),
        "raw_paho_msg_s": round(raw),
        "ratio_vs_raw": round(fast.rate_msg_s / raw, 3),
        "paho_pool_ratio_vs_raw": round(paho.rate_msg_s / raw, 3),
        "target_msg_s": TARGET_MSG_S,
        "meets_target": fast.rate_msg_s >= TARGET_MSG_S,
    }


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
        print(json.dumps(measure(conn, records)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_mosquitto(Path(tmp) / "mosquitto")
        try:
            print(json.dumps(measure(MqttConnection(host=broker.host, port=broker.port), records)))
        finally:
            broker.process.stop()
    return 0
