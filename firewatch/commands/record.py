"""`firewatch record FILE`: write every MQTT message (receive time, topic, QoS, retain, payload)
as JSON lines (gzip when FILE ends in .gz) until --count, --duration-s or Ctrl-C."""

from __future__ import annotations

import argparse
import json
import signal
import time
from pathlib import Path
from typing import Any

from prometheus_client import Gauge

from firewatch.commands.mqtt_args import add_mqtt_flags, mqtt_connection
from firewatch.settings import Settings
from simulators.mqtt.recorder import Recorder
from simulators.recording import RecordingWriter

RECORDED = Gauge("firewatch_recorder_messages", "messages written by `firewatch record`")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("record", help="record MQTT traffic to a file")
    p.add_argument("file", type=Path)
    p.add_argument("--filter", action="append", default=None, help="topic filter (fw/v1/#)")
    p.add_argument("--count", type=int, default=0, help="stop after N messages")
    p.add_argument("--duration-s", type=float, default=0.0, help="stop after N seconds")
    add_mqtt_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings, conn = mqtt_connection(args, settings)
    # A plain list, not threading.Event: Event.set() inside a signal handler can deadlock on
    # the lock an interrupted Event.wait() holds.
    signals: list[int] = []
    signal.signal(signal.SIGINT, lambda sig, _: signals.append(sig))
    signal.signal(signal.SIGTERM, lambda sig, _: signals.append(sig))
    started = time.monotonic()
    with RecordingWriter(args.file) as writer:
        rec = Recorder(conn, writer, filters=args.filter or ["fw/v1/#"])
        rec.start()
        while not signals:
            RECORDED.set(rec.count)
            if args.count and rec.wait_for(args.count, 0.5):
                break
            if args.duration_s and time.monotonic() - started >= args.duration_s:
                break
            if not args.count:
                time.sleep(0.5)
        rec.stop()
    elapsed_s = time.monotonic() - started
    print(
        json.dumps({"recorded": rec.count, "file": str(args.file), "seconds": round(elapsed_s, 2)})
    )
    return 0
