"""`firewatch detection`: detection quality on the shared fire tests and thermal-runaway curves,
as the tables of docs/DETECTION.md (firewatch.detection_eval does the work, in-process and in
device time, so the figures are the same on any machine)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS
from firewatch.commands.failures import InputError

_EPILOG = """\b
Examples:
  firewatch detection --datasets ../shared/datasets
  firewatch detection --datasets ../shared/datasets --write docs/DETECTION.md
"""


@click.command("detection", context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.option(
    "--datasets",
    type=click.Path(path_type=Path),
    default=Path("../shared/datasets"),
    show_default=True,
    help="Folder of the shared data sets.",
)
@click.option("--intervals", default="1,2,5,10,30", show_default=True, help="Reporting, s.")
@click.option("--jitter", type=float, default=0.2, show_default=True, help="Of the interval.")
@click.option("--gaps", type=float, default=0.05, show_default=True, help="Readings lost.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--write", type=click.Path(path_type=Path), help="Replace FILE's generated part.")
def command(**opts: Any) -> int:
    """Score the detectors per room on the UL FSRI fire tests and the runaway curves."""
    from firewatch.detection_eval import all_tables, reportings
    from firewatch.detection_report import write_between_markers

    datasets: Path = opts["datasets"]
    intervals: str = opts["intervals"]
    write: Path | None = opts["write"]

    if not (datasets / "ulfsri-residential-gasburner-2016").is_dir():
        raise InputError(f"{datasets}: not the shared data sets folder (no UL FSRI tests)")
    try:
        every = [float(x) for x in intervals.split(",")]
    except ValueError:
        raise InputError(f"--intervals {intervals!r}: seconds separated by commas") from None
    text = all_tables(datasets, reportings(every, opts["jitter"], opts["gaps"], opts["seed"]))
    if write is None:
        sys.stdout.write(text)
    else:
        write_between_markers(write, text)
    return 0
