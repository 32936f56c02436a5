"""`firewatch eval`: score the alerts a pipeline produced, and the incidents dispatch made of
them, against a scenario's ground truth.

Only alerts inside the run's window count (simulators.window): alerts of other runs are
reported as outside it, never as absurd latencies. `--plot FILE.png` draws the readings with
the onsets, deadlines and alerts. Incidents (`--incidents FILE`, or `--kafka`, which reads
fw.incidents.v2 too) are scored when the scenario lists them: one per event, no extra one.
Exit 1 when an expectation fails, a false alert was raised or an extra incident appeared.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from firewatch.commands.common import CONTEXT_SETTINGS, broker_failure, cli_of, json_option
from firewatch.commands.failures import Failed, InputError, UsageError
from firewatch.commands.sources import load_scenario, parse_time

if TYPE_CHECKING:
    from pydantic import BaseModel

    from events.alerts import Alert
    from events.connections import KafkaConnection
    from events.incidents import IncidentUpdate
    from simulators.evaluation import Report
    from simulators.recording import Record
    from simulators.truth import GroundTruth

log = logging.getLogger("firewatch")
M = TypeVar("M", bound="BaseModel")

_EPILOG = """\b
Examples:
  firewatch eval --scenario flat_fire --kafka --start-at 2026-03-01T02:00:00+00:00
  firewatch eval --recording gb4.jsonl --alerts alerts.jsonl --json
  firewatch eval --scenario flat_fire --alerts alerts.jsonl --plot flat_fire.png
  firewatch eval --scenario flat_fire --alerts alerts.jsonl --incidents incidents.jsonl
  firewatch eval --recording gb5.jsonl --per-device --in-process
  firewatch eval --recording gb5.jsonl --per-device --kafka --start-at 2026-03-01T02:00:00Z
"""


@click.command("eval", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.option("--scenario", help="Scenario name or .yaml file.")
@click.option("--recording", type=click.Path(path_type=Path), help="Recording with ground truth.")
@click.option("--alerts", type=click.Path(path_type=Path), help="JSON lines of Alert.")
@click.option("--incidents", type=click.Path(path_type=Path), help="JSON lines of IncidentUpdate.")
@click.option("--kafka", is_flag=True, help="Read fw.alerts.v2 and fw.incidents.v2.")
@click.option("--bootstrap", help="Kafka bootstrap (default: FIREWATCH_KAFKA__BOOTSTRAP).")
@click.option("--start-at", help="ISO time the run started (t = 0), e.g. from simulate/replay.")
@click.option("--idle-s", type=float, default=3.0, help="Kafka: stop after N s without alerts.")
@click.option("--plot", type=click.Path(path_type=Path), help="Also draw the run to FILE.png.")
@click.option("--per-device", is_flag=True, help="Score every device of --recording (a table).")
@click.option("--in-process", is_flag=True, help="--per-device: run the detectors here.")
@json_option
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Score the alerts raised against a scenario's or a recording's ground truth."""
    from simulators import evaluation
    from simulators.window import incidents_in, split, window

    if bool(opts["scenario"]) == bool(opts["recording"]):
        raise UsageError("give one of --scenario or --recording")
    if opts["in_process"] and not opts["per_device"]:
        raise UsageError("--in-process goes with --per-device")
    sources = [bool(opts["alerts"]), bool(opts["kafka"]), bool(opts["in_process"])]
    if sum(sources) != 1:
        raise UsageError("give one of --alerts FILE, --kafka or --in-process")
    truth, readings_t0 = load_truth(opts)
    if opts["per_device"]:
        from firewatch.commands import eval_devices

        return eval_devices.run(cli_of(ctx), opts, truth, readings_t0)
    if opts["kafka"] and opts["incidents"]:
        raise UsageError("--kafka reads the incidents topic: leave out --incidents")
    alerts = load_alerts(cli_of(ctx), opts)
    inside, outside = split(alerts, truth)
    incidents = load_incidents(cli_of(ctx), opts)
    mine = None if incidents is None else incidents_in(incidents, truth)
    report = evaluation.evaluate(truth, inside, mine)
    w = window(truth)
    extra: dict[str, Any] = {
        "window": [w.start.isoformat(), w.end.isoformat()],
        "alerts_outside_window": len(outside),
    }
    if opts["plot"] is not None:
        extra["plot"] = str(_plot(opts, truth, readings_t0, report, inside))
    _print(report, extra, opts["as_json"], has_inside=bool(inside))
    if not report.passed:
        raise Failed(f"scenario {report.name}: FAIL")
    return 0


def load_truth(opts: dict[str, Any]) -> tuple[GroundTruth, datetime]:
    """The ground truth (t = 0 moved to --start-at) and the t = 0 of its readings."""
    from simulators.recording import RecordingError, read_header

    start = parse_time(opts["start_at"])
    if opts["scenario"]:
        own = load_scenario(opts["scenario"]).ground_truth(start_at=start)
        return own, own.start_at
    path: Path = opts["recording"]
    if not path.is_file():
        raise InputError(f"{path}: no such recording")
    try:
        header = read_header(path)
    except (RecordingError, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}:1: unreadable header ({exc})") from None
    if header is None or header.ground_truth is None:
        raise InputError(f"{path} carries no ground truth (its first line has none)")
    truth = header.ground_truth
    moved = truth.model_copy(update={"start_at": start}) if start else truth
    return moved, truth.start_at


def load_alerts(cli: Any, opts: dict[str, Any]) -> list[Alert]:
    from pydantic import ValidationError

    from simulators import evaluation

    if opts["kafka"]:
        settings = cli.settings().with_overrides(kafka={"bootstrap": opts["bootstrap"]})
        return asyncio.run(read_kafka_alerts(settings.kafka, opts["idle_s"]))
    path: Path = opts["alerts"]
    if not path.is_file():
        raise InputError(f"{path}: no such alerts file")
    try:
        return evaluation.read_alerts_file(path)
    except ValidationError as exc:
        line = _bad_line(path)
        raise InputError(f"{path}:{line}: not an Alert ({exc.errors()[0]['msg']})") from None


def load_incidents(cli: Any, opts: dict[str, Any]) -> list[IncidentUpdate] | None:
    """The incident updates dispatch published, or None when there are none to score."""
    from pydantic import ValidationError

    from events.incidents import IncidentUpdate
    from simulators import evaluation

    if opts["kafka"]:
        settings = cli.settings().with_overrides(kafka={"bootstrap": opts["bootstrap"]})
        return asyncio.run(read_kafka_incidents(settings.kafka, opts["idle_s"]))
    path: Path | None = opts["incidents"]
    if path is None:
        return None
    if not path.is_file():
        raise InputError(f"{path}: no such incidents file")
    try:
        return evaluation.read_incidents_file(path)
    except ValidationError as exc:
        line = _bad_line(path, IncidentUpdate)
        msg = exc.errors()[0]["msg"]
        raise InputError(f"{path}:{line}: not an IncidentUpdate ({msg})") from None


def _bad_line(path: Path, model: type[BaseModel] | None = None) -> int:
    from events.alerts import Alert

    model = model or Alert
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                model.model_validate_json(text)
            except ValueError:
                return number
    return 0


async def read_kafka_alerts(conn: KafkaConnection, idle_s: float) -> list[Alert]:
    """Every alert on the alerts topic from the beginning, until idle."""
    from events.alerts import Alert
    from events.topics import Topics

    return await read_topic(conn, Topics.ALERTS, Alert, idle_s)


async def read_kafka_incidents(conn: KafkaConnection, idle_s: float) -> list[IncidentUpdate]:
    """Every incident update dispatch published, from the beginning, until idle."""
    from events.incidents import IncidentUpdate
    from events.topics import Topics

    return await read_topic(conn, Topics.INCIDENTS, IncidentUpdate, idle_s)


async def read_topic(conn: KafkaConnection, topic: str, model: type[M], idle_s: float) -> list[M]:
    """Every record of `topic` from the beginning, until idle (no end offsets: Tansu reports
    them wrongly, STACK-NOTES.md); a malformed record is logged and skipped."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.errors import KafkaError
    from pydantic import ValidationError

    from events.topics import topic_spec
    from runtime.kafka import consumer_settings

    consumer = AIOKafkaConsumer(**consumer_settings(conn, client_id="fw-eval", group_id=None))
    try:
        await asyncio.wait_for(consumer.start(), 10.0)
    except (KafkaError, OSError, TimeoutError) as exc:
        await consumer.stop()
        raise broker_failure(exc, "Kafka", conn.bootstrap) from exc
    found: list[M] = []
    try:
        # Partitions from the topic table (events.topics), not from possibly stale metadata.
        tps = [TopicPartition(topic, p) for p in range(topic_spec(topic).partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for msgs in batch.values():
                for m in msgs:
                    try:
                        found.append(model.model_validate_json(m.value))
                    except ValidationError as exc:
                        log.warning(
                            "skipping a malformed record on %s at offset %s: %s",
                            topic,
                            m.offset,
                            exc.errors()[:1],
                        )
    finally:
        await consumer.stop()
    return found


def _readings(opts: dict[str, Any], truth: GroundTruth) -> list[Record]:
    from firewatch.commands.replay import load_records
    from simulators.recording import emissions_to_records

    if opts["recording"]:
        return load_records(opts["recording"])
    sc = load_scenario(opts["scenario"])
    sim = sc.build(start_at=truth.start_at)
    emissions = list(sim.start()) + list(sim.run_until(sc.duration_s))
    return list(emissions_to_records(emissions, sim.start_at))


def _plot(
    opts: dict[str, Any],
    truth: GroundTruth,
    readings_t0: datetime,
    report: Report,
    alerts: list[Alert],
) -> Path:
    from simulators import evaluation, plots

    records = _readings(opts, truth)
    fig = plots.figure(
        records,
        truth,
        evaluation.conditions(alerts, truth),
        report.expectations,
        readings_t0=readings_t0,
    )
    return plots.save(fig, opts["plot"])


def _print(report: Report, extra: dict[str, Any], as_json: bool, has_inside: bool) -> None:
    from simulators import evaluation

    if as_json:
        data = json.loads(evaluation.to_json(report))
        print(json.dumps({**data, **extra}, indent=2, ensure_ascii=False))
        return
    print(evaluation.render_table(report))
    start, end = extra["window"]
    outside = extra["alerts_outside_window"]
    if not has_inside:
        hint = " (another run's? pass --start-at with this run's t = 0)" if outside else ""
        print(f"\nno alerts in the scenario window {start} .. {end}; {outside} outside it{hint}")
    elif outside:
        print(f"\n{outside} alerts outside the scenario window {start} .. {end} were ignored")
    if "plot" in extra:
        print(f"plot: {extra['plot']}")
