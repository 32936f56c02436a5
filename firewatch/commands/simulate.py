"""`firewatch simulate`: publish a fleet or a scenario over MQTT, or write it to a recording.

firewatch simulate --scenario flat_fire --speed max          # to the broker
firewatch simulate --compounds 500 --speed 1                  # load, in real time
firewatch simulate --scenario flat_fire --out run.jsonl.gz    # offline, deterministic
firewatch simulate --dataset ulfsri --source X.csv --out r.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge

from firewatch.commands.mqtt_args import add_mqtt_flags, mqtt_connection, parse_speed
from firewatch.settings import Settings
from simulators import runner, scenarios
from simulators.clock import PacedClock, VirtualClock
from simulators.datasets import Converted, runaway, smoke_iot, ulfsri
from simulators.devices.base import Intervals
from simulators.engine import Simulation
from simulators.fleet import load_fleet
from simulators.generator import synthetic_fleet
from simulators.recording import Header, emissions_to_records, write_recording
from simulators.truth import GroundTruth

MESSAGES = Counter("firewatch_sim_messages_total", "messages published by the simulator")
SIM_TIME = Gauge("firewatch_sim_time_seconds", "simulated seconds since the start of the run")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("simulate", help="simulated devices over MQTT")
    p.add_argument("--fleet", default="example", help="fleet file or 'example'")
    p.add_argument("--compounds", type=int, default=0, help="N synthetic compounds instead")
    p.add_argument("--scenario", default=None, help="scenario name (simulators/scenarios) or file")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--speed", type=parse_speed, default=1.0, help="1, 10, ... or max")
    p.add_argument("--duration-s", type=float, default=None, help="simulated seconds to run")
    p.add_argument("--start-at", default=None, help="ISO time of t = 0 (default: scenario/now)")
    p.add_argument("--out", type=Path, default=None, help="write a recording instead of MQTT")
    p.add_argument("--dataset", choices=("ulfsri", "smoke-iot", "runaway"), default=None)
    p.add_argument("--source", type=Path, default=None, help="data set file/folder for --dataset")
    add_mqtt_flags(p)
    p.set_defaults(func=run)


def _scenario(name: str) -> scenarios.Scenario:
    path = Path(name)
    return scenarios.load(path) if path.suffix in (".yaml", ".yml") else scenarios.load_named(name)


def _convert(args: argparse.Namespace) -> Converted:
    if args.source is None:
        raise SystemExit("--dataset needs --source")
    if args.dataset == "ulfsri":
        return ulfsri.convert(args.source)
    if args.dataset == "smoke-iot":
        return smoke_iot.convert(args.source)
    return runaway.convert(args.source)


def _build(
    args: argparse.Namespace, settings: Settings
) -> tuple[Simulation, float, GroundTruth | None]:
    start = datetime.fromisoformat(args.start_at) if args.start_at else None
    seed = args.seed if args.seed is not None else settings.simulator.seed
    if args.scenario:
        sc = _scenario(args.scenario)
        if args.seed is not None:
            sc = sc.model_copy(update={"seed": args.seed})
        duration = args.duration_s or sc.duration_s
        return sc.build(start_at=start), duration, sc.ground_truth(start_at=start)
    fleet = synthetic_fleet(args.compounds, seed) if args.compounds else load_fleet(args.fleet)
    start = start or (datetime(2026, 1, 1, tzinfo=UTC) if args.out else datetime.now(UTC))
    return Simulation(fleet, seed, start, Intervals()), args.duration_s or 3600.0, None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.dataset:
        conv = _convert(args)
        if args.out is None:
            raise SystemExit("--dataset needs --out")
        n = write_recording(args.out, conv.records, Header(conv.source, conv.truth))
        print(json.dumps({"records": n, "skipped": conv.skipped, "out": str(args.out)}))
        return 0
    sim, duration_s, truth = _build(args, settings)
    if args.out is not None:
        emissions = list(sim.start()) + list(sim.run_until(duration_s))
        records = emissions_to_records(emissions, sim.start_at)
        n = write_recording(args.out, records, Header("firewatch simulate", truth))
        print(json.dumps({"records": n, "out": str(args.out)}))
        return 0
    settings, conn = mqtt_connection(args, settings)
    return asyncio.run(_live(sim, duration_s, conn, args.speed, settings))


async def _live(
    sim: Simulation, duration_s: float, conn: Any, speed: float | None, settings: Settings
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    last = [0]

    def progress(count: int, t_s: float) -> None:
        MESSAGES.inc(count - last[0])
        last[0] = count
        SIM_TIME.set(t_s)

    clock = VirtualClock() if speed is None else PacedClock(speed)
    result = await runner.run_simulation(
        sim,
        conn,
        until_s=duration_s,
        clock=clock,
        stop=stop,
        progress=progress,
        client_prefix=settings.simulator.client_prefix,
        max_outstanding=settings.simulator.max_outstanding,
    )
    summary = {
        "messages": result.messages,
        "commands": result.commands,
        "sim_s": round(result.sim_s, 1),
        "wall_s": round(result.wall_s, 2),
        "msg_per_s": round(result.rate_msg_s, 1),
        "gateways": len(sim.gateways),
        "devices": len(sim.models),
        "realtime_factor": round(result.sim_s / result.wall_s, 3) if result.wall_s else None,
    }
    print(json.dumps(summary))
    return 0
