"""`firewatch plot RECORDING`: the readings of a recording per device, with its ground truth's
onsets and deadlines and, given alerts, the alerts raised (PNG)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of
from firewatch.commands.failures import InputError

_EPILOG = """\b
Examples:
  firewatch plot gb4.jsonl                           # -> gb4.png
  firewatch plot run.jsonl.gz --alerts alerts.jsonl --out run.png
  firewatch plot run.jsonl.gz --kafka --start-at 2026-07-01T08:00:00+08:00
"""


@click.command("plot", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.argument("recording", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="PNG file (default: beside it).")
@click.option("--alerts", type=click.Path(path_type=Path), help="JSON lines of Alert to draw.")
@click.option("--kafka", is_flag=True, help="Draw the alerts of the alerts topic.")
@click.option("--bootstrap", help="Kafka bootstrap (default: FIREWATCH_KAFKA__BOOTSTRAP).")
@click.option("--start-at", help="ISO t = 0 of the run the alerts come from (replayed: rebased).")
@click.option("--idle-s", type=float, default=3.0, help="Kafka: stop after N s without alerts.")
@click.pass_context
def command(ctx: click.Context, /, recording: Path, **opts: Any) -> int:
    """Draw a recording: readings per device, ground-truth onsets, deadlines, alerts."""
    from firewatch.commands.eval import load_alerts, load_truth
    from firewatch.commands.replay import load_records
    from simulators import evaluation, plots
    from simulators.truth import GroundTruth
    from simulators.window import split

    records = load_records(recording)
    try:
        truth, readings_t0 = load_truth({**opts, "recording": recording, "scenario": None})
    except InputError:
        if records:  # no ground truth: draw the readings alone, t = 0 at the first message
            t0 = datetime.fromtimestamp(records[0].t, UTC)
            truth, readings_t0 = GroundTruth(name=recording.stem, start_at=t0), t0
        else:
            raise
    conditions: list[Any] = []
    results: tuple[Any, ...] = ()
    if opts["alerts"] or opts["kafka"]:
        inside, _ = split(load_alerts(cli_of(ctx), opts), truth)
        conditions = evaluation.conditions(inside, truth)
        results = evaluation.evaluate(truth, inside).expectations
    fig = plots.figure(records, truth, conditions, results, readings_t0=readings_t0)
    out = plots.save(fig, opts["out"] or recording.with_name(_stem(recording) + ".png"))
    print(f"plot: {out} ({len(plots.summary(fig))} panels)")
    return 0


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name
