"""`firewatch replay FILE --speed 1|10|max`: republish a recording, keeping its gaps (scaled),
optionally remapping ids; progress bar on stderr, summary on stdout. Deterministic order."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from firewatch.commands.mqtt_args import add_mqtt_flags, mqtt_connection, parse_speed
from firewatch.settings import Settings
from simulators import runner
from simulators.recording import read_records
from simulators.replay import IdMap, plan


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("replay", help="republish a recording")
    p.add_argument("file", type=Path)
    p.add_argument("--speed", type=parse_speed, default=1.0, help="1, 10, ... or max")
    p.add_argument("--remap", action="append", default=[], help="OLD=NEW id prefix rewrite")
    p.add_argument("--id-prefix", default="", help="prefix for every id")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_mqtt_flags(p)
    p.set_defaults(func=run)


def id_map(remaps: list[str], prefix: str) -> IdMap:
    rewrites = {}
    for item in remaps:
        old, sep, new = item.partition("=")
        if not sep or not old:
            raise SystemExit(f"--remap wants OLD=NEW, got {item!r}")
        rewrites[old] = new
    return IdMap(rewrites, prefix)


class ProgressBar:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = max(1, total), enabled

    def __call__(self, count: int, at_s: float) -> None:
        if not self.enabled:
            return
        filled = int(30 * count / self.total)
        bar = "#" * filled + "." * (30 - filled)
        sys.stderr.write(f"\r[{bar}] {count}/{self.total} msgs  t+{at_s:.1f}s")
        if count >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings, conn = mqtt_connection(args, settings)
    records = list(read_records(args.file))
    schedule = plan(records, args.speed, id_map(args.remap, args.id_prefix))
    bar = ProgressBar(len(records), not args.quiet)
    result = asyncio.run(runner.replay(schedule, conn, progress=bar))
    span_s = records[-1].t - records[0].t if records else 0.0
    print(
        json.dumps(
            {
                "published": result.messages,
                "recording_span_s": round(span_s, 3),
                "wall_s": round(result.wall_s, 3),
                "msg_per_s": round(result.rate_msg_s, 1),
                "speed": args.speed or "max",
            }
        )
    )
    return 0
