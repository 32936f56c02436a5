"""`firewatch simulate`: publish a fleet, a scenario or a data set over MQTT, or write a recording.

Live runs are stamped so the bridge accepts them: a scenario dated in the past is moved so its
last reading is stamped when it goes out (x1: it starts now); `--keep-time` keeps the scenario's
own dates and warns when the bridge would refuse them. Recordings (--out) keep their dates and
are byte-for-byte deterministic; `firewatch replay` rebases them when they are published.
"""

from __future__ import annotations

import asyncio
import functools
import math
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from firewatch.commands.common import (
    CONTEXT_SETTINGS,
    Speed,
    broker_failure,
    cli_of,
    emit,
    is_interactive,
    json_option,
    mqtt_connection,
    warn,
)
from firewatch.commands.sources import DATASETS, convert_dataset, parse_time

if TYPE_CHECKING:
    from events.connections import MqttConnection
    from firewatch.settings import Settings
    from simulators.engine import Simulation
    from simulators.truth import GroundTruth

_EPILOG = """\b
Examples:
  firewatch simulate --scenario cooking_smoke --speed max     # to the broker, stamped to now
  firewatch simulate --compounds 500 --speed 1 --duration-s 600
  firewatch simulate --scenario flat_fire --out flat_fire.jsonl.gz
  firewatch simulate --dataset ulfsri --source Gas_Burner_4.csv --out gb4.jsonl
  firewatch simulate --dataset runaway --source thermal-runaway-arc --speed 10
"""


@dataclass(frozen=True)
class Built:
    sim: Simulation
    duration_s: float
    truth: GroundTruth | None
    name: str


@click.command("simulate", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.option("--fleet", default="example", help="Fleet file or 'example'.")
@click.option("--compounds", type=click.IntRange(min=0), default=0, help="N synthetic compounds.")
@click.option("--scenario", help="Scenario name (simulators/scenarios) or .yaml file.")
@click.option("--seed", type=int, help="Default: FIREWATCH_SIMULATOR__SEED.")
@click.option("--speed", type=Speed(), default="1", help="1, 10, ... or max.")
@click.option("--duration-s", type=click.FloatRange(min=0, min_open=True), help="Simulated s.")
@click.option("--start-at", help="ISO time of t = 0 (default: stamped to now).")
@click.option("--keep-time", is_flag=True, help="Keep the scenario's or data set's own dates.")
@click.option("--out", type=click.Path(path_type=Path), help="Write a recording, not MQTT.")
@click.option("--dataset", type=click.Choice(DATASETS), help="A public data set (needs --source).")
@click.option("--source", type=click.Path(path_type=Path), help="Data set file or folder.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--kafka-bootstrap", help="Data sets: where to read the outcome back.")
@click.option("--no-readback", is_flag=True, help="Data sets: do not read the outcome back.")
@json_option
@click.option("--host", help="MQTT broker host (default: FIREWATCH_MQTT__HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="MQTT broker port.")
@click.option("--metrics-port", type=int, default=0, help="Prometheus port, 0 = off.")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Simulated devices, scenarios or data sets over MQTT, or to a recording."""
    cli = cli_of(ctx)
    if opts["out"] is not None:
        return _offline(cli.settings(), opts)
    settings, conn = mqtt_connection(
        cli,
        opts["host"],
        opts["port"],
        opts["metrics_port"],
        *(("kafka",) if opts["dataset"] else ()),
        kafka_bootstrap=opts["kafka_bootstrap"],
    )
    if opts["dataset"]:
        return _dataset_live(settings, conn, opts)
    return _live(settings, conn, opts)


def _offline(settings: Settings, opts: dict[str, Any]) -> int:
    from simulators.recording import Header, emissions_to_records, write_recording

    out: Path = opts["out"]
    if opts["dataset"]:
        conv = convert_dataset(opts["dataset"], opts["source"])
        n = write_recording(out, conv.records, Header(conv.source, conv.truth))
        summary = {"records": n, "skipped": conv.skipped, "out": str(out)}
        emit(summary, opts["as_json"], f"{opts['dataset']} -> {out}")
        return 0
    built = _build(settings, opts, default_start=_offline_start(opts))
    emissions = list(built.sim.start()) + list(built.sim.run_until(built.duration_s))
    records = emissions_to_records(emissions, built.sim.start_at)
    n = write_recording(out, records, Header("firewatch simulate", built.truth))
    emit({"records": n, "out": str(out)}, opts["as_json"], f"simulate -> {out}")
    return 0


def _offline_start(opts: dict[str, Any]) -> datetime | None:
    # Recordings are deterministic: a fixed t = 0 for fleets, the scenario's own for scenarios.
    return None if opts["scenario"] else datetime(2026, 1, 1, tzinfo=UTC)


def _dataset_live(settings: Settings, conn: MqttConnection, opts: dict[str, Any]) -> int:
    from firewatch.commands.replay import ReplayOptions, publish

    conv = convert_dataset(opts["dataset"], opts["source"])
    replay = ReplayOptions(
        description=f"{opts['dataset']} {Path(conv.source).name}",
        speed=opts["speed"],
        keep_time=opts["keep_time"],
        show_progress=is_interactive(opts["as_json"], opts["quiet"]),
        bootstrap=opts["kafka_bootstrap"],
        readback=not opts["no_readback"],
    )
    summary = publish(conv.records, conv.truth, settings, conn, replay)
    emit({**summary, "skipped": conv.skipped}, opts["as_json"], f"simulate {opts['dataset']}")
    return 0


def live_start(duration_s: float, speed: float | None, now_s: float) -> datetime:
    """t = 0 of a live run: the last reading is stamped when it goes out, so nothing is ahead
    of the bridge clock (ingest max_future_skew_s) and, at x1, the run starts now."""
    compressed_s = duration_s if speed is None else duration_s * max(0.0, 1.0 - 1.0 / speed)
    return datetime.fromtimestamp(math.floor(now_s - compressed_s), UTC)


def _build(settings: Settings, opts: dict[str, Any], default_start: datetime | None) -> Built:
    from firewatch.commands.sources import load_fleet_file, load_scenario
    from simulators.devices.base import Intervals
    from simulators.engine import Simulation
    from simulators.generator import synthetic_fleet

    start = parse_time(opts["start_at"]) or default_start
    seed = opts["seed"] if opts["seed"] is not None else settings.simulator.seed
    if opts["scenario"]:
        sc = load_scenario(opts["scenario"])
        if opts["seed"] is not None:
            sc = sc.model_copy(update={"seed": opts["seed"]})
        duration = opts["duration_s"] or sc.duration_s
        truth = sc.ground_truth(start_at=start)
        return Built(sc.build(start_at=start), duration, truth, sc.name)
    n = opts["compounds"]
    fleet = synthetic_fleet(n, seed) if n else load_fleet_file(opts["fleet"])
    start = start or datetime.now(UTC)
    name = f"{n} compounds" if n else str(opts["fleet"])
    return Built(
        Simulation(fleet, seed, start, Intervals()), opts["duration_s"] or 3600.0, None, name
    )


def _live(settings: Settings, conn: MqttConnection, opts: dict[str, Any]) -> int:
    from simulators.clock import PacedClock, VirtualClock

    speed: float | None = opts["speed"]
    duration_guess = opts["duration_s"] or _scenario_duration(opts) or 3600.0
    default = None if opts["keep_time"] else live_start(duration_guess, speed, time.time())
    built = _build(settings, opts, default_start=default)
    if opts["keep_time"]:
        _warn_kept_time(built, speed, settings)
    clock = VirtualClock() if speed is None else PacedClock(speed)
    show = is_interactive(opts["as_json"], opts["quiet"])
    try:
        result = asyncio.run(_publish(built, conn, clock, settings, show))
    except OSError as exc:
        raise broker_failure(exc, "MQTT broker", f"{conn.host}:{conn.port}") from exc
    emit(_summary(built, result, speed), opts["as_json"], f"simulate {built.name}")
    return 0


def _scenario_duration(opts: dict[str, Any]) -> float | None:
    from firewatch.commands.sources import load_scenario

    return load_scenario(opts["scenario"]).duration_s if opts["scenario"] else None


def _warn_kept_time(built: Built, speed: float | None, settings: Settings) -> None:
    now_s = time.time()
    first_s = built.sim.start_at.timestamp()
    last_s = first_s + built.duration_s
    last_sent_s = now_s + (0.0 if speed is None else built.duration_s / speed)
    limits = settings.ingest
    if now_s - first_s > limits.max_age_s:
        warn(
            f"--keep-time: the run starts at {built.sim.start_at.isoformat()}, older than the "
            f"bridge accepts (FIREWATCH_INGEST__MAX_AGE_S={limits.max_age_s:.0f} s): its "
            "readings will be dead-lettered as timestamp_too_old; drop --keep-time"
        )
    if last_s - last_sent_s > limits.max_future_skew_s:
        warn(
            f"--keep-time: readings up to {last_s - last_sent_s:.0f} s ahead of the bridge clock "
            f"(FIREWATCH_INGEST__MAX_FUTURE_SKEW_S={limits.max_future_skew_s:.0f} s) will be "
            "dead-lettered as timestamp_in_future; drop --keep-time"
        )


@functools.cache
def _metrics() -> tuple[Any, Any]:
    from runtime.metrics_catalogue import counter, gauge

    return counter("firewatch_sim_messages_total"), gauge("firewatch_sim_time_seconds")


async def _publish(
    built: Built, conn: MqttConnection, clock: Any, settings: Settings, show: bool
) -> Any:
    from firewatch.commands.console import Progress
    from simulators import runner

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    messages, sim_time = _metrics()
    last = [0]
    bar = Progress(f"simulate {built.name}", built.duration_s, enabled=show)

    def progress(count: int, t_s: float) -> None:
        messages.inc(count - last[0])
        last[0] = count
        sim_time.set(t_s)
        bar.update(t_s, count)

    with bar:
        return await runner.run_simulation(
            built.sim,
            conn,
            until_s=built.duration_s,
            clock=clock,
            stop=stop,
            progress=progress,
            client_prefix=settings.simulator.client_prefix,
            max_outstanding=settings.simulator.max_outstanding,
            max_inflight=settings.simulator.max_inflight_per_client,
        )


def _summary(built: Built, result: Any, speed: float | None) -> dict[str, Any]:
    start = built.sim.start_at
    summary: dict[str, Any] = {
        "messages": result.messages,
        "commands": result.commands,
        "sim_s": round(result.sim_s, 1),
        "wall_s": round(result.wall_s, 2),
        "msg_per_s": round(result.rate_msg_s, 1),
        "gateways": len(built.sim.gateways),
        "devices": len(built.sim.models),
        "realtime_factor": round(result.sim_s / result.wall_s, 3) if result.wall_s else None,
        "max_lag_s": round(result.max_lag_s, 3),
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(seconds=built.duration_s)).isoformat(),
    }
    if built.truth is not None:
        summary["eval"] = (
            f"firewatch eval --scenario {built.name} --kafka --start-at {start.isoformat()}"
        )
    return summary
