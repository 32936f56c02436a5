"""`firewatch record FILE`: write every MQTT message (receive time, topic, QoS, retain, payload)
as JSON lines (gzip when FILE ends in .gz) until --count, --duration-s or Ctrl-C."""

from __future__ import annotations

import functools
import signal
import time
from pathlib import Path
from typing import Any

import click

from firewatch.commands.common import (
    CONTEXT_SETTINGS,
    broker_failure,
    cli_of,
    emit,
    is_interactive,
    json_option,
    mqtt_connection,
)
from firewatch.commands.failures import InputError

_EPILOG = """\b
Examples:
  firewatch record run.jsonl.gz --duration-s 600      # or --count N, or Ctrl-C
  firewatch record alarms.jsonl --filter 'fw/v1/+/+/+/alarm' --json
"""


@functools.cache
def _recorded_gauge() -> Any:
    from runtime.metrics_catalogue import gauge

    return gauge("firewatch_recorder_messages")


@click.command("record", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--filter", "filters", multiple=True, help="Topic filter (default fw/v1/#).")
@click.option("--count", type=click.IntRange(min=0), default=0, help="Stop after N messages.")
@click.option("--duration-s", type=click.FloatRange(min=0), default=0.0, help="Stop after N s.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@json_option
@click.option("--host", help="MQTT broker host (default: FIREWATCH_MQTT__HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="MQTT broker port.")
@click.option("--metrics-port", type=int, default=0, help="Prometheus port, 0 = off.")
@click.pass_context
def command(ctx: click.Context, /, file: Path, **opts: Any) -> int:
    """Record MQTT traffic to a file."""
    from firewatch.commands.console import Progress
    from simulators.mqtt.recorder import Recorder
    from simulators.recording import RecordingWriter

    _, conn = mqtt_connection(cli_of(ctx), opts["host"], opts["port"], opts["metrics_port"])
    if not file.parent.is_dir():
        raise InputError(f"{file.parent}: no such folder for the recording")
    # A plain list, not threading.Event: Event.set() inside a signal handler can deadlock on
    # the lock an interrupted Event.wait() holds.
    signals: list[int] = []
    signal.signal(signal.SIGINT, lambda sig, _: signals.append(sig))
    signal.signal(signal.SIGTERM, lambda sig, _: signals.append(sig))
    count, duration_s = opts["count"], opts["duration_s"]
    total = count or duration_s or None
    bar = Progress(
        f"record {file.name}", total, enabled=is_interactive(opts["as_json"], opts["quiet"])
    )
    started = time.monotonic()
    with RecordingWriter(file) as writer, bar:
        rec = Recorder(conn, writer, filters=opts["filters"] or ["fw/v1/#"])
        try:
            rec.start()
        except (OSError, TimeoutError) as exc:
            raise broker_failure(exc, "MQTT broker", f"{conn.host}:{conn.port}") from exc
        _until_done(rec, signals, count=count, duration_s=duration_s, started=started, bar=bar)
        rec.stop()
    elapsed_s = time.monotonic() - started
    summary = {"recorded": rec.count, "file": str(file), "seconds": round(elapsed_s, 2)}
    emit(summary, opts["as_json"], f"record {file}")
    return 0


def _until_done(
    rec: Any, signals: list[int], *, count: int, duration_s: float, started: float, bar: Any
) -> None:
    gauge = _recorded_gauge()
    while not signals:
        gauge.set(rec.count)
        elapsed_s = time.monotonic() - started
        bar.update(rec.count if count else elapsed_s, rec.count)
        if count and rec.wait_for(count, 0.5):
            break
        if duration_s and elapsed_s >= duration_s:
            break
        if not count:
            time.sleep(0.5)  # the recorder writes on its own thread; this only reports
