"""`firewatch bench all`: every stage benchmark and the end-to-end run, plus the raw limits
(benchmarks/raw.py), in one run on one machine; JSON (--json-out) and a markdown table of
rates and ratios (--md-out), both also printed. `--quick` is a short version (about 5 min).

Each stage benchmark runs as its own `python -m firewatch bench NAME` process, one after the
other: a benchmark never shares its interpreter (or its garbage) with the one before, and its
JSON is exactly what that benchmark prints on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from benchmarks import run_bench
from benchmarks.all_report import markdown, rows
from benchmarks.raw import measure
from firewatch.commands.console import phase
from firewatch.settings import Settings

# name -> (full arguments, --quick arguments). The stream worker's first-alert-after-idle
# probes (20 x 10 min) are left to its own benchmark: the e2e run measures the first P1 after
# idle through every stage.
STAGES: dict[str, tuple[list[str], list[str]]] = {
    "ingest": ([], ["--messages", "20000", "--devices", "500"]),
    "replay": ([], ["--messages", "20000", "--rounds", "1"]),
    "sink": ([], ["--points", "30000", "--rounds", "1"]),
    "streams": (
        ["--skip", "latency"],
        ["--skip", "latency,state", "--events", "50000", "--rounds", "1"],
    ),
    "dispatch": ([], ["--incidents", "50", "--seconds", "5"]),
    "e2e": ([], ["--p1s", "50", "--minutes", "1", "--idle-minutes", "0"]),
}
RAW_MESSAGES = {False: 100_000, True: 20_000}
STAGE_TIMEOUT_S = 3600.0


@click.command(
    "all",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench all --quick --md-out /tmp/bench.md\n"
    "  firewatch bench all --json-out bench.json --md-out bench.md --skip replay",
)
@click.option("--quick", is_flag=True, help="Short runs of each (minutes, not an hour).")
@click.option("--json-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--md-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--skip", default="", help=f"Comma list of: raw,{','.join(STAGES)}.")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """Every stage benchmark and e2e, with the raw limits of the same run."""
    return run_bench(ctx, "all", _main, opts)


def _main(args: argparse.Namespace, settings: Settings) -> int:
    skip = set(filter(None, args.skip.split(",")))
    unknown = skip - {"raw", *STAGES}
    if unknown:
        raise click.BadParameter(f"unknown: {', '.join(sorted(unknown))}", param_hint="--skip")
    results = run_all(args.quick, skip)
    table = rows(results)
    document = {"results": results, "table": [row.as_json() for row in table]}
    text = markdown(table)
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.md_out is not None:
        args.md_out.write_text(text, encoding="utf-8")
    print(json.dumps(document, indent=2))
    print(text, file=sys.stderr)
    failed = [name for name, r in results.items() if isinstance(r, dict) and "error" in r]
    return 1 if failed else 0


def run_all(quick: bool, skip: set[str]) -> dict[str, Any]:
    names = [n for n in ["raw", *STAGES] if n not in skip]
    results: dict[str, Any] = {"machine": _machine(), "quick": quick}
    for name in names:
        phase(name, of=len(names))
        started = time.monotonic()
        if name == "raw":
            results["raw"] = measure(RAW_MESSAGES[quick])
        else:
            full, short = STAGES[name]
            results[name] = _stage(name, short if quick else full)
        results.setdefault("seconds", {})[name] = round(time.monotonic() - started, 1)
    # Other tenants of a shared machine show here: read the rates with them in mind.
    results["machine"]["load_average_at_end"] = _load_average()
    return results


def _stage(name: str, argv: list[str]) -> dict[str, Any]:
    """One benchmark in its own process; a failed one is recorded (its stderr's tail), and the
    others still run: one broken stage must not cost the whole table."""
    cmd = [sys.executable, "-m", "firewatch", "bench", name, *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=STAGE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}", "stderr_tail": done.stderr[-2000:]}
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def _load_average() -> list[str]:
    path = Path("/proc/loadavg")
    return path.read_text().split()[:3] if path.is_file() else []


def _machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "")
    return {"cpus": os.cpu_count(), "cpu_model": model, "load_average_at_start": _load_average()}
