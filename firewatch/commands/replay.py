"""`firewatch replay FILE`: republish a recording, keeping its gaps (scaled by --speed).

Time is rebased by default: every timestamp moves by one offset so the bridge's window (ingest
max_age_s / max_future_skew_s) accepts the messages however old the recording is; --keep-time
publishes the original times and warns when the bridge would refuse them. The summary reads the
outcome back from Kafka when it is reachable: accepted, dead-lettered by reason.
"""

from __future__ import annotations

import asyncio
import functools
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
    speed_text,
    warn,
)
from firewatch.commands.failures import InputError, UsageError

if TYPE_CHECKING:
    from events.connections import MqttConnection
    from firewatch.settings import Settings
    from simulators.recording import Header, Record
    from simulators.replay import IdMap, Scheduled
    from simulators.truth import GroundTruth

_EPILOG = """\b
Examples:
  firewatch replay run.jsonl.gz                      # x1, timestamps moved to now
  firewatch replay run.jsonl.gz --speed max --json   # as fast as possible
  firewatch replay run.jsonl.gz --speed 10 --remap c001=c901 --id-prefix r-
  firewatch replay old.jsonl --keep-time             # original times (warns if refused)
"""


@click.command("replay", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--speed", type=Speed(), default="1", help="1, 10, ... or max.")
@click.option("--keep-time", is_flag=True, help="Publish the recorded times (no rebasing).")
@click.option("--remap", multiple=True, help="OLD=NEW id prefix rewrite (repeatable).")
@click.option("--id-prefix", default="", help="Prefix for every id.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--paho", is_flag=True, help="paho clients instead of the fast publisher.")
@click.option("--kafka-bootstrap", help="Where to read the outcome back (default: settings).")
@click.option("--no-readback", is_flag=True, help="Do not read the outcome back from Kafka.")
@click.option("--readback-idle-s", type=float, default=5.0, help="Read-back stops when idle.")
@json_option
@click.option("--host", help="MQTT broker host (default: FIREWATCH_MQTT__HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="MQTT broker port.")
@click.option("--metrics-port", type=int, default=0, help="Prometheus port, 0 = off.")
@click.pass_context
def command(ctx: click.Context, /, file: Path, **opts: Any) -> int:
    """Republish a recording, keeping its gaps; time rebased to now unless --keep-time."""
    records = load_records(file)
    header = load_header(file)
    ids = id_map(opts["remap"], opts["id_prefix"])
    settings, conn = mqtt_connection(
        cli_of(ctx),
        opts["host"],
        opts["port"],
        opts["metrics_port"],
        "kafka",
        kafka_bootstrap=opts["kafka_bootstrap"],
    )
    summary = publish(
        records,
        header.ground_truth if header else None,
        settings,
        conn,
        ReplayOptions.of(opts, description=f"replay {file.name}", ids=ids),
    )
    emit(summary, opts["as_json"], f"replay {file}")
    return 0


@dataclass(frozen=True)
class ReplayOptions:
    """How to publish: speed, time, ids, progress and the read-back; shared with `simulate`."""

    description: str
    speed: float | None
    keep_time: bool = False
    ids: IdMap | None = None
    show_progress: bool = False
    is_fast: bool = True
    bootstrap: str | None = None
    readback: bool = True
    readback_idle_s: float = 5.0

    @classmethod
    def of(cls, opts: dict[str, Any], description: str, ids: IdMap | None) -> ReplayOptions:
        return cls(
            description=description,
            speed=opts["speed"],
            keep_time=opts["keep_time"],
            ids=ids,
            show_progress=is_interactive(opts["as_json"], opts.get("quiet", False)),
            is_fast=not opts.get("paho", False),
            bootstrap=opts.get("kafka_bootstrap"),
            readback=not opts.get("no_readback", False),
            readback_idle_s=opts.get("readback_idle_s", 5.0),
        )


def load_records(path: Path) -> list[Record]:
    from simulators.recording import RecordingError, read_records

    if not path.is_file():
        raise InputError(f"{path}: no such recording")
    try:
        return list(read_records(path))
    except RecordingError as exc:
        raise InputError(str(exc)) from None


def load_header(path: Path) -> Header | None:
    from simulators.recording import RecordingError, read_header

    try:
        return read_header(path)
    except RecordingError as exc:
        raise InputError(str(exc)) from None


def id_map(remaps: tuple[str, ...], prefix: str) -> IdMap:
    from simulators.replay import IdMap

    rewrites = {}
    for item in remaps:
        old, sep, new = item.partition("=")
        if not sep or not old:
            raise UsageError(f"--remap wants OLD=NEW, got {item!r}")
        rewrites[old] = new
    return IdMap(rewrites, prefix)


def publish(
    records: list[Record],
    truth: GroundTruth | None,
    settings: Settings,
    conn: MqttConnection,
    opts: ReplayOptions,
) -> dict[str, Any]:
    """Plan (rebased unless --keep-time), warn about the bridge's window, publish with
    progress, read the outcome back; the summary as a dict."""
    from simulators.replay import plan, rebase_shift

    now_s = time.time()
    shift_s = 0.0 if opts.keep_time else rebase_shift(records, now_s, opts.speed)
    schedule = list(plan(records, opts.speed, opts.ids, shift_s))
    _warn_window(schedule, now_s, settings, opts.keep_time)
    started_ms = int(now_s * 1000)
    result = _send(schedule, conn, opts)
    span_s = (records[-1].t - records[0].t) if records else 0.0
    summary: dict[str, Any] = {
        "published": result.messages,
        "recording_span_s": round(span_s, 3),
        "wall_s": round(result.wall_s, 3),
        "msg_per_s": round(result.rate_msg_s, 1),
        "speed": speed_text(opts.speed),
        "time_shift_s": shift_s,
    }
    if schedule:
        summary["first_at"] = datetime.fromtimestamp(schedule[0].record.t, UTC).isoformat()
    if truth is not None:
        start = truth.start_at + timedelta(seconds=shift_s)
        summary["ground_truth_start_at"] = start.isoformat()
    summary.update(_read_back(schedule, started_ms, settings, opts))
    return summary


def _warn_window(
    schedule: list[Scheduled], now_s: float, settings: Settings, keep_time: bool
) -> None:
    from simulators.replay import check_window

    ingest = settings.ingest
    check = check_window(schedule, now_s, ingest.max_age_s, ingest.max_future_skew_s)
    if check.is_clean:
        return
    hint = "drop --keep-time to rebase them to now" if keep_time else "replay at a lower speed"
    if check.too_old:
        warn(
            f"{check.too_old} of {check.total} messages are older than the bridge accepts "
            f"(FIREWATCH_INGEST__MAX_AGE_S={ingest.max_age_s:.0f} s) and will be dead-lettered "
            f"as timestamp_too_old; {hint}"
        )
    if check.in_future:
        warn(
            f"{check.in_future} of {check.total} messages are stamped further ahead than the "
            f"bridge accepts (FIREWATCH_INGEST__MAX_FUTURE_SKEW_S="
            f"{ingest.max_future_skew_s:.0f} s) and will be dead-lettered as "
            f"timestamp_in_future; {hint}"
        )


@functools.cache
def _replayed_gauge() -> Any:
    from runtime.metrics_catalogue import gauge

    return gauge("firewatch_replay_messages")


def _send(schedule: list[Scheduled], conn: MqttConnection, opts: ReplayOptions) -> Any:
    from firewatch.commands.console import Progress
    from simulators import runner
    from simulators.mqtt.fastpub import FastPublishError
    from simulators.mqtt.pool import MqttPublishError

    gauge = _replayed_gauge()
    bar = Progress(opts.description, len(schedule), enabled=opts.show_progress)

    def progress(count: int, at_s: float) -> None:
        gauge.set(count)
        bar.update(count, count)

    with bar:
        try:
            return asyncio.run(
                runner.replay(schedule, conn, progress=progress, is_fast=opts.is_fast)
            )
        except (OSError, TimeoutError, FastPublishError, MqttPublishError) as exc:
            raise broker_failure(exc, "MQTT broker", f"{conn.host}:{conn.port}") from exc


def _read_back(
    schedule: list[Scheduled], started_ms: int, settings: Settings, opts: ReplayOptions
) -> dict[str, Any]:
    if not opts.readback or not schedule:
        return {}
    from firewatch.commands.readback import read_back
    from simulators.readback import Readback

    bootstrap = opts.bootstrap or settings.kafka.bootstrap
    kafka = settings.kafka.model_copy(update={"bootstrap": bootstrap})  # TLS/SASL as configured
    tally = Readback.of((s.record.payload for s in schedule), started_ms)
    timeout_s = max(30.0, 4 * opts.readback_idle_s)
    if not asyncio.run(read_back(kafka, tally, opts.readback_idle_s, timeout_s)):
        return {"readback": f"skipped: Kafka at {bootstrap} not reachable"}
    return {"readback": f"Kafka {bootstrap}", **tally.summary()}
