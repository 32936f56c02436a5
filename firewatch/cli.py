"""`firewatch`: one command line for every process of the system (Click; Rich for people).

Sub-commands load lazily from `firewatch/commands/<module>.py` (each defines `command`), so
`firewatch --help` imports neither Faust nor Kafka nor pydantic: it answers in well under a
second. Errors are one line on stderr with the exit codes of `firewatch.commands.failures`.
"""

from __future__ import annotations

import errno
import logging
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module
from typing import Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, Cli
from firewatch.commands.failures import Exit, InputError, UserError

log = logging.getLogger("firewatch")

# name -> (module under firewatch.commands, one-line help), in the order `--help` lists them.
# The help lives here so that listing the commands imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("up", "Run the embedded stack on this machine (optionally with a demo)."),
    "topics": ("topics", "Print the Kafka topic table and the MQTT topic scheme."),
    "schemas": ("schemas", "Check (default) or --write the JSON Schemas of the wire contract."),
    "ingest": ("ingest", "Run the MQTT -> Kafka bridge."),
    "worker": ("worker", "Run a stream-detection worker (Faust; one consumer group)."),
    "sink": ("sink", "Write device telemetry from Kafka to InfluxDB."),
    "dispatch": ("dispatch", "Run the dispatch service and the duty console."),
    "simulate": ("simulate", "Simulated devices, scenarios or data sets over MQTT or to a file."),
    "record": ("record", "Record MQTT traffic to a file."),
    "replay": ("replay", "Republish a recording (time rebased to now by default)."),
    "eval": ("eval", "Score the alerts raised against a scenario's ground truth."),
    "detection": ("detection", "Detection quality per room on the shared fire tests."),
    "plot": ("plot", "Draw a recording: readings, truth onsets and deadlines."),
    "report": ("report", "Ledger statistics: open incidents, response times, false alarms."),
    "audit": ("audit", "Verify the ledger's audit hash chain."),
    "ledger": ("ledger", "Back up and restore the ledger (SQLite or PostgreSQL)."),
    "deploy": ("deploy", "Generate the secrets and the bridge plan that deploy/ mounts."),
    "bench": ("bench", "Benchmarks (from a source checkout; JSON output)."),
    "community": ("community", "People as sensors: report pages, patrols, hazard desk, QR codes."),
    "feeds": ("feeds", "Scoped feeds to outside platforms (police, housing bureau, 119)."),
}

_EPILOG = """\b
Examples:
  firewatch up --demo
  firewatch simulate --scenario flat_fire --speed max
  firewatch replay run.jsonl.gz --speed 10
  firewatch eval --scenario flat_fire --kafka --plot flat_fire.png
Exit codes: 0 ok, 1 check failed, 2 bad usage, 3 bad input, 4 unreachable, 70 bug, 130 Ctrl-C.
"""


class LazyGroup(click.Group):
    """Imports a sub-command's module only when that sub-command runs or shows its help."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command: click.Command = import_module(f"firewatch.commands.{entry[0]}").command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS, epilog=_EPILOG)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO).")
@click.option("--log-json", is_flag=True, default=None, help="Structured JSON log lines.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
# package_name: the version is looked up only when --version is asked (importlib.metadata
# costs half of the start-up otherwise).
@click.version_option(None, "--version", "-V", package_name="firewatch", prog_name="firewatch")
@click.pass_context
def root(ctx: click.Context, log_level: str | None, log_json: bool | None, debug: bool) -> None:
    """Fire and e-bike-charging safety for residential compounds (小区)."""
    ctx.obj = Cli(log_level=log_level, log_json=log_json, debug=debug)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = root.main(args=args, prog_name="firewatch", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        _say("interrupted")
        return Exit.INTERRUPTED
    except click.ClickException as exc:
        return _usage_error(exc)
    except UserError as exc:
        _fail(exc, _is_debug(args))
        return exc.exit_code
    except Exception as exc:  # every other error: one line, or the traceback with --debug
        return _unexpected(exc, _is_debug(args))
    return int(result) if isinstance(result, int) else Exit.OK


def _is_debug(args: list[str]) -> bool:
    # Only the root group takes --debug; it stands before the sub-command.
    return "--debug" in args


def _say(message: str) -> None:
    """One line on stderr; a JSON log line when logs are JSON (collectors parse every line)."""
    from firewatch.logs import JsonFormatter  # noqa: PLC0415 - only on the error path

    if any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers):
        log.error("%s", message)
        return
    sys.stderr.write(f"firewatch: {message}\n")
    sys.stderr.flush()


def _usage_error(exc: click.ClickException) -> int:
    ctx: Any = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    _say(f"{exc.format_message()}{where}")
    return Exit.INPUT if isinstance(exc, click.FileError) else Exit.USAGE


def _fail(exc: BaseException, is_debug: bool) -> None:
    if is_debug:
        traceback.print_exception(exc)
    _say(" ".join(str(exc).split()))


def _unexpected(exc: Exception, is_debug: bool) -> int:
    """Known OS failures keep a user-facing code; anything else is a bug (70)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        _fail(InputError(f"{exc.filename}: {exc.strerror or exc}"), is_debug)
        return Exit.INPUT
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        _fail(exc, is_debug)
        return Exit.UNREACHABLE
    if is_debug:
        traceback.print_exception(exc)
    _say(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return Exit.INTERNAL


_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
