"""`firewatch bench <name>`: the benchmarks in `benchmarks/` of a source checkout.

They are not in the wheel (issue #13): from an installed package without the checkout the
command says so. Each prints JSON for machines; progress goes to stderr at a terminal.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path

import click

from firewatch.commands.common import CONTEXT_SETTINGS
from firewatch.commands.failures import InputError

# name -> one-line help, listed without importing anything.
BENCHES: dict[str, str] = {
    "ingest": "MQTT -> Kafka bridge vs raw paho and aiokafka.",
    "replay": "Replay --speed max throughput vs a raw paho loop.",
    "sink": "Telemetry sink vs a raw influxdb-client write loop.",
    "streams": "Stream worker (all detectors) vs a raw aiokafka loop.",
    "dispatch": "Alert record -> page delivered, under a 1,000/s alert storm.",
    "e2e": "Device publish -> page on terminal and console, under city-slice load.",
    "all": "Every stage benchmark and e2e, with the raw limits, as JSON and a table.",
    "soak": "The stack at a city slice's load: memory per process and lag over time.",
}


def checkout_root() -> Path | None:
    """The source checkout this firewatch runs from, when it has the benchmarks."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "benchmarks" / "__init__.py").is_file() else None


class BenchGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(BENCHES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in BENCHES:
            return None
        root = checkout_root()
        if root is None:
            raise InputError(
                "the benchmarks are not installed with the package: run "
                f"`firewatch bench {cmd_name}` from a source checkout (make setup there)"
            )
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        command: click.Command = import_module(f"benchmarks.{cmd_name}").command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Benchmarks"):
            formatter.write_dl(list(BENCHES.items()))


@click.group(
    "bench",
    cls=BenchGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch bench ingest\n  firewatch bench replay --messages 50000\n"
    "  firewatch bench streams --skip latency,state",
)
def command() -> None:
    """Benchmarks, each against a raw baseline measured in the same run (JSON output)."""
