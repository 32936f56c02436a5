"""`firewatch bench e2e`: what a duty person lives with. The fleet simulator sends a city slice
of telemetry (every device kind, `--rate` msg/s) through the embedded stack (`firewatch up`:
Mosquitto with its ACL, the bridge, Tansu, the stream worker, dispatch with its console) while
`--p1s` fires and thermal runaways go off at known times, each in a place of its own (so each
is an incident of its own). Measured per P1: device publish -> alert -> first page received
(a) on the covering station's MQTT terminal, logged in as the terminal, and (b) on the live
stream of a signed-in duty member's console. Then, after `--idle-minutes` of silence, the first
P1 again (idle connections, cold caches). Target: p99 <= 100 ms for both (issue #17).

The floor (`--raw`, on by default): the same load process, rate and P1 schedule through a raw
relay with the same hops and no Firewatch code, on a fresh Mosquitto and Tansu
(benchmarks/e2e_raw.py); the JSON gains its figures (`raw`) and the stack's over them
(`stack_over_raw`), and the 1-minute load average around each phase. The phases run one after
the other, in the order `--raw` states (alternate it between runs).

The load (telemetry and P1s) comes from a process of its own (benchmarks/e2e_loadproc.py);
this process only watches, so an arrival is stamped when it comes, not when the load generator
lets go of the GIL or the loop. `--load-nice` defaults to 10: in a city the devices are not on
the server, so the stand-in for them yields the CPU to the stack (it still has to reach
`--rate`, which the JSON records); 0 lets it compete as an equal.

A benchmark, not a test: the suite runs a small version and asserts only that every P1 reached
both ends once (tests/benchmarks/test_bench_e2e.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from alerts.registry import EXAMPLE_DIR, load_registry
from benchmarks import run_bench
from benchmarks.e2e_load import Trigger, bench_fleet, scaled_intervals, triggers
from benchmarks.e2e_loadproc import DEFAULT_LOAD_NICE, LoadJob, LoadProcess
from benchmarks.e2e_raw import KINDS, load_average, run_raw
from benchmarks.e2e_report import TARGET_P99_MS, hops, ratios, reconcile, stats
from benchmarks.e2e_watch import (
    AlertWatch,
    ConsoleWatch,
    TerminalWatch,
    cpu_seconds,
    cpu_shares,
    until,
)
from events.connections import MqttConnection
from firewatch.commands.console import phase
from firewatch.settings import Settings
from firewatch.stack import Endpoints, Stack

RAW_ORDERS = ("after", "before", "skip")  # the raw floor's phase: after the stack's, before, none
ARRIVAL_WAIT_S = 60.0  # a P1 later than this is reported missing, not waited for
START_WAIT_S = 60.0  # the load process's start (spawn imports the simulator afresh)


@dataclass(frozen=True)
class Plan:
    p1s: int
    rate: float
    load_s: float
    idle_s: float
    seed: int = 1
    load_nice: int = DEFAULT_LOAD_NICE
    raw: str = "after"  # RAW_ORDERS


@dataclass
class Ends:
    terminals: list[TerminalWatch]
    consoles: list[ConsoleWatch]
    alerts: AlertWatch
    sent: dict[str, float] = field(default_factory=dict)  # place key -> publish time
    devices: dict[str, str] = field(default_factory=dict)  # place key -> the P1's device

    def published(self, place_key: str, device_id: str, at: float) -> None:
        """The load process's word that a P1 left (its publish time)."""
        self.sent[place_key] = at
        self.devices[place_key] = device_id

    def arrived(self, place_keys: list[str]) -> bool:
        found = reconcile(self.sent, self.terminals, self.consoles, place_keys)
        return not found["missing_terminal"] and not found["missing_console"]


@click.command(
    "e2e",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench e2e --idle-minutes 0\n"
    "  firewatch bench e2e --idle-minutes 0 --raw before\n"
    "  firewatch bench e2e --p1s 400 --rate 3000 --minutes 5 --raw skip",
)
@click.option("--p1s", type=int, default=200, help="P1s measured under load.")
@click.option("--rate", type=float, default=2000.0, help="Telemetry msg/s of the fleet.")
@click.option("--minutes", type=float, default=2.0, help="Minutes of load.")
@click.option("--idle-minutes", type=float, default=10.0, help="Silence before the idle P1.")
@click.option(
    "--load-nice",
    type=click.IntRange(0, 19),
    default=DEFAULT_LOAD_NICE,
    help="Niceness added to the load process (devices are not on the server); 0: no yielding.",
)
@click.option(
    "--raw",
    type=click.Choice(RAW_ORDERS),
    default="after",
    help="The raw relay's floor (same load, no Firewatch code): after the stack, before, or skip.",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the stack's data and logs here (default: a temporary folder, removed).",
)
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Device publish -> page on the station terminal and the console, under city load."""
    return run_bench(ctx, "e2e", _main, opts)


def _main(args: argparse.Namespace, settings: Settings) -> int:
    minutes = (args.minutes * 60.0, args.idle_minutes * 60.0)
    plan = Plan(args.p1s, args.rate, *minutes, load_nice=args.load_nice, raw=args.raw)
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        print(json.dumps(run(plan, args.work_dir), indent=2))
        return 0
    with tempfile.TemporaryDirectory(prefix="fw-bench-e2e-") as tmp:
        print(json.dumps(run(plan, Path(tmp)), indent=2))
    return 0


def run(plan: Plan, work_dir: Path) -> dict[str, Any]:
    """The whole run: the stack's phase on a fresh embedded stack and, unless skipped, the raw
    floor's on brokers of its own (one after the other, never at once), data and logs under
    `work_dir`."""
    fleet = bench_fleet(plan.p1s)
    chosen = tuple(triggers(fleet)[: plan.p1s + 1])
    intervals = scaled_intervals(fleet, plan.rate)
    pace = (plan.load_s, plan.idle_s, plan.rate, plan.seed, plan.load_nice)
    job = LoadJob(MqttConnection(), fleet, intervals, chosen, *pace)  # each phase's broker
    order = {"after": ("stack", "raw"), "before": ("raw", "stack"), "skip": ("stack",)}[plan.raw]
    phases: dict[str, dict[str, Any]] = {}
    for name in order:
        before = load_average()
        if name == "stack":
            phases[name] = _stack_phase(job, work_dir, plan)
        else:
            phase("raw relay floor, same load", of=_phases(plan))
            phases[name] = run_raw(job, work_dir / "raw")
        phases[name]["load_average_1m"] = {"before": before, "after": load_average()}
    stack = phases["stack"]
    out = {
        "bench": "e2e",
        "path": "device publish -> alert -> first P1 page on the terminal (MQTT) / console (SSE)",
        "devices": len(fleet.devices),
        "gateways": len(fleet.gateways),
        "intervals_s": {"smoke": intervals.smoke_s, "heartbeat": intervals.heartbeat_s},
        **stack,
        "target_p99_ms": TARGET_P99_MS,
    }
    if "raw" in phases:
        out["raw"] = {"phase": plan.raw, **phases["raw"]}
        out["stack_over_raw"] = ratios(stack["under_load"], phases["raw"]["under_load"], KINDS)
    return out


def _phases(plan: Plan) -> int:
    """The progress steps: the stack's start, its load, its idle P1; the raw floor's."""
    return 3 if plan.raw == "skip" else 4


def _stack_phase(job: LoadJob, work_dir: Path, plan: Plan) -> dict[str, Any]:
    stack = Stack(work_dir, gateways=job.fleet.gateways)
    try:
        phase("embedded stack", of=_phases(plan))
        endpoints = stack.start(timeout_s=120.0)
        stack_job = replace(job, conn=endpoints.gateway_connection())
        return asyncio.run(_measure(stack, endpoints, stack_job, plan))
    finally:
        stack.stop()


async def _measure(stack: Stack, endpoints: Endpoints, job: LoadJob, plan: Plan) -> dict[str, Any]:
    assert stack.secrets is not None  # started
    ends = Ends(
        [
            TerminalWatch(endpoints.mqtt_host, endpoints.mqtt_port, t, c.password)
            for t, c in stack.secrets.terminals.items()
        ],
        [ConsoleWatch(endpoints.console_url, m.member_id) for m in _members()],
        AlertWatch(endpoints.kafka_bootstrap),
    )
    load_proc = LoadProcess(job, ends.published)
    try:
        await _open_ends(ends)
        await load_proc.expect("ready", START_WAIT_S)
        phase(f"{plan.p1s} P1s under {plan.rate:.0f} msg/s", of=_phases(plan))
        load = await _load(stack, load_proc, plan)
        _warn_if_short(load)
        measured = job.chosen[: plan.p1s]
        places = [t.place_key for t in measured]
        await until(lambda: ends.arrived(places), ARRIVAL_WAIT_S)
        under_load = _latencies(ends, places)
        under_load["by_kind"] = {
            kind: _latencies(ends, [t.place_key for t in measured if t.kind == kind])
            for kind in KINDS
        }
        phase(f"first P1 after {plan.idle_s / 60:.0f} min idle", of=_phases(plan))
        idle = await _idle_p1(load_proc, job.chosen[plan.p1s], ends, plan.idle_s)
        load_proc.send("stop")
        await load_proc.expect("closed", ARRIVAL_WAIT_S)
        return {"load": load, "under_load": under_load, "after_idle": idle}
    finally:
        load_proc.close()
        for t in ends.terminals:
            t.stop()
        await asyncio.gather(*(c.stop() for c in ends.consoles))
        await ends.alerts.stop()


async def _load(stack: Stack, load_proc: LoadProcess, plan: Plan) -> dict[str, Any]:
    """The load process's run, with every process's CPU over it: the stack's, the load
    generator's (not the stack's cost: devices are not on the server) and the watchers'."""
    bench = {"load_generator": load_proc.pid, "watchers": os.getpid()}
    cpu_before = _cpu_s(stack, bench)
    load_proc.send("go")
    _, load = await load_proc.expect("load", plan.load_s + ARRIVAL_WAIT_S)
    shares = cpu_shares(cpu_before, _cpu_s(stack, bench), load["seconds"])
    bench_shares = {name: shares.pop(name) for name in bench}
    load["cpu_share_of_a_core"] = shares
    load["stack_cpu_share"] = round(sum(shares.values()), 3)
    load["bench_cpu_share_of_a_core"] = bench_shares
    return dict(load)


def _warn_if_short(load: dict[str, Any]) -> None:
    if not load["reaches_rate"]:
        click.echo(
            f"warning: the load reached {load['telemetry_msg_per_s']} of "
            f"{load['rate_asked']:.0f} msg/s (nice {load['load_nice']}): the figures are "
            "for a lighter load",
            err=True,
        )


def _cpu_s(stack: Stack, extra: dict[str, int]) -> dict[str, float]:
    """CPU seconds each process of the stack, and the `extra` pids, have used so far."""
    pids = {name: p.pid for name, p in stack.services.items()}
    if stack.mosquitto is not None:
        pids["mosquitto"] = stack.mosquitto.process.pid
    if stack.tansu is not None:
        pids["tansu"] = stack.tansu.process.pid
    return cpu_seconds(pids | extra)


def _members() -> list[Any]:
    """Every member the example registry can page: any of them may be on duty."""
    return load_registry(EXAMPLE_DIR).all_members()


async def _open_ends(ends: Ends) -> None:
    for t in ends.terminals:
        if not await asyncio.to_thread(t.subscribed.wait, 30.0):
            raise RuntimeError(f"terminal {t.terminal} did not subscribe")
    await asyncio.gather(*(c.start() for c in ends.consoles))
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in ends.consoles)), 30.0)
    await ends.alerts.start()


async def _idle_p1(
    load_proc: LoadProcess, trigger: Trigger, ends: Ends, idle_s: float
) -> dict[str, Any]:
    """Nothing flows for `idle_s` (the gateways stay connected), then one P1."""
    load_proc.send("idle")
    await load_proc.expect("idle_fired", idle_s + ARRIVAL_WAIT_S)
    await until(lambda: ends.arrived([trigger.place_key]), ARRIVAL_WAIT_S)
    return {"idle_s": idle_s, **_latencies(ends, [trigger.place_key])}


def _latencies(ends: Ends, place_keys: list[str]) -> dict[str, Any]:
    found = reconcile(ends.sent, ends.terminals, ends.consoles, place_keys)
    sent, alerts = ends.sent, ends.alerts.first
    to_alert = [(alerts[p] - sent[p]) * 1000 for p in place_keys if p in alerts and p in sent]
    alarms = {p: ends.alerts.alarm_first.get(d) for p, d in ends.devices.items()}
    to_alarm = [(at - sent[p]) * 1000 for p in place_keys if (at := alarms.get(p)) and p in sent]
    split = hops([sent, {p: a for p, a in alarms.items() if a}, alerts], ends.terminals, place_keys)
    return {
        # Not targets: where the time goes. The device's alarm on the priority topic (the
        # bridge's part), the alert on the alerts topic (+ the worker's), then dispatch's.
        "alarm_on_kafka": stats(to_alarm, judged=False),
        "alert_on_kafka": stats(to_alert, judged=False),
        "terminal": stats(found.pop("terminal_ms")),
        "console": stats(found.pop("console_ms")),
        "hops": {hop: stats(ms, judged=False) for hop, ms in split["ms"].items()},
        "slowest_p1s": split["slowest"],
        **found,
    }
