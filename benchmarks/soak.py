"""`firewatch bench soak`: the embedded stack under a city slice's load, memory and lag over time.

The stack as `firewatch up` runs it (Mosquitto, Tansu, bridge, worker, dispatch) plus the
telemetry sink on VictoriaMetrics, fed by the fleet simulator at x1 (synthetic compounds: 370
give about 1,000 msg/s). Every `--every-s` the resident memory of each process and each
consumer group's lag. Verdict (issue #17.4): every judged process stays within
`--max-growth-pct` of its size at the baseline, minute 5 (a short run: the first sample after
`--warmup-frac` of it, once every device has reported and every table holds its devices).
Tansu keeps its topics in memory (firewatch/embedded/tansu.py): it is judged on the growth
beyond the records it was given to hold (`--tansu-bytes-per-record`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from benchmarks import run_bench
from benchmarks.soak_rig import SoakRig
from benchmarks.soak_verdict import JUDGED, Sample, table, verdict
from firewatch.commands.console import phase
from firewatch.settings import Settings

COMPOUNDS_PER_1000_MSG_S = 370  # synthetic compounds at x1: ~2.7 msg/s each (measured)


@click.command(
    "soak",
    context_settings={"show_default": True},
    epilog="\b\nExamples:\n  firewatch bench soak --minutes 3 --every-s 10\n"
    "  firewatch bench soak --minutes 30 --compounds 740 --out soak.json",
)
@click.option("--minutes", type=click.FloatRange(min=1), default=30.0)
@click.option("--every-s", type=click.FloatRange(min=1), default=30.0, help="Sampling period.")
@click.option("--compounds", type=click.IntRange(min=1), default=COMPOUNDS_PER_1000_MSG_S)
@click.option("--seed", type=int, default=1)
@click.option("--baseline-s", type=float, default=300.0, help="The size judged against.")
@click.option(
    "--warmup-frac",
    type=click.FloatRange(0, 0.9),
    default=2 / 3,
    help="Runs under 10 min: the baseline after this fraction (the worker's state fills "
    "for minutes: every device's first readings, then its windows).",
)
@click.option("--max-growth-pct", type=float, default=10.0)
@click.option("--tansu-bytes-per-record", type=float, default=2048.0)
@click.option("--out", type=click.Path(path_type=Path), help="Also write the JSON here.")
@click.pass_context
def command(ctx: click.Context, /, **opts: Any) -> int:
    """The stack at a city slice's load: memory per process and lag (verdict on growth)."""
    return run_bench(ctx, "soak", run, opts)


def run(args: argparse.Namespace, settings: Settings) -> int:
    result = soak(args)
    print(table(result["samples"], result["verdict"]), file=sys.stderr)
    text = json.dumps(result, indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if result["verdict"]["is_flat"] else 1


def baseline_at_s(duration_s: float, baseline_s: float, warmup_frac: float) -> float:
    """Minute 5 for a run long enough to have one after it, else the warm-up fraction."""
    return baseline_s if duration_s >= 2 * baseline_s else duration_s * warmup_frac


def soak(args: argparse.Namespace) -> dict[str, Any]:
    duration_s = args.minutes * 60.0
    work = Path(tempfile.mkdtemp(prefix="fw-soak-"))
    rig = SoakRig(work, compounds=args.compounds, seed=args.seed)
    phase(f"starting the stack for {args.compounds} compounds", of=3)
    rig.start()
    try:
        phase(f"soaking {args.minutes:g} min, a sample every {args.every_s:g} s", of=3)
        samples = asyncio.run(_sample_until(rig, duration_s, args.every_s))
    finally:
        phase("stopping", of=3)
        rig.stop()
    at_s = baseline_at_s(duration_s, args.baseline_s, args.warmup_frac)
    judged = verdict(
        samples,
        baseline_at_s=at_s,
        max_growth_pct=args.max_growth_pct,
        tansu_bytes_per_record=args.tansu_bytes_per_record,
    )
    return {
        "bench": "soak",
        "minutes": args.minutes,
        "every_s": args.every_s,
        "compounds": args.compounds,
        "devices": rig.devices,
        "gateways": len(rig.gateways),
        "judged": list(JUDGED),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "work_dir": str(work),
        "samples": [s.as_json() for s in samples],
        "verdict": judged,
    }


async def _sample_until(rig: SoakRig, duration_s: float, every_s: float) -> list[Sample]:
    """One sample every `every_s` from the simulator's start, on a fixed schedule (a slow
    sample does not shift the next); the last at `duration_s`."""
    started = time.monotonic()
    rig.start_load(duration_s + every_s)  # the load outlasts the last sample
    samples: list[Sample] = []
    n = 1
    while (due := n * every_s) <= duration_s + 1e-9:
        await asyncio.sleep(max(0.0, started + due - time.monotonic()))
        rig.check_alive()
        samples.append(await rig.sample(time.monotonic() - started))
        n += 1
    return samples
