"""What every command shares: the context object (settings built once, logging), the MQTT and
metrics flags, `--speed`, and the JSON-or-table choice of output.

Heavy imports (pydantic settings, Rich) happen when a command runs, never at `--help`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from firewatch.commands.failures import UsageError

if TYPE_CHECKING:
    from events.connections import MqttConnection
    from firewatch.settings import Settings

log = logging.getLogger("firewatch")
F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
    "show_default": True,
}


@dataclass
class Cli:
    """The root group's options; builds the settings (and configures logging) on first use."""

    log_level: str | None = None
    log_json: bool | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _load_settings()
            from firewatch import logs

            level = self.log_level or ("DEBUG" if self.debug else self._settings.log_level)
            is_json = self._settings.log_json if self.log_json is None else self.log_json
            logs.configure(level, is_json)
        return self._settings


def _load_settings() -> Settings:
    from pydantic import ValidationError

    from firewatch.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "__".join(str(p) for p in first["loc"]).upper()
        raise UsageError(f"bad configuration FIREWATCH_{where}: {first['msg']}") from None


def cli_of(ctx: click.Context) -> Cli:
    obj = ctx.find_object(Cli)
    return obj if obj is not None else Cli()


def log_config(settings: Settings, *sections: str) -> None:
    """The effective configuration: one short line at INFO, the full dump at DEBUG."""
    log.info("effective config: %s", settings.summary(sections))
    log.debug("full config: %s", settings.masked_json())


def mqtt_options(func: F) -> F:
    """--host/--port of the MQTT broker and --metrics-port, for the simulator commands."""
    func = click.option("--metrics-port", type=int, default=0, help="Prometheus port, 0 = off.")(
        func
    )
    func = click.option("--port", type=click.IntRange(1, 65535), help="MQTT broker port.")(func)
    return click.option("--host", help="MQTT broker host (default: FIREWATCH_MQTT__HOST).")(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="JSON for machines.")(func)


def mqtt_connection(
    cli: Cli,
    host: str | None,
    port: int | None,
    metrics_port: int,
    *sections: str,
    kafka_bootstrap: str | None = None,
) -> tuple[Settings, MqttConnection]:
    """Apply the flags, log the effective configuration once, start metrics if asked."""
    settings = cli.settings().with_overrides(
        mqtt={"host": host, "port": port}, kafka={"bootstrap": kafka_bootstrap}
    )
    log_config(settings, "mqtt", *sections)
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    return settings, settings.mqtt


class Speed(click.ParamType):
    """`max` (None: as fast as possible) or a positive factor (1 = as recorded)."""

    name = "speed"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, float):
            return value
        if str(value).lower() == "max":
            return None
        try:
            speed = float(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'max'", param, ctx)
        if speed <= 0:
            self.fail("must be > 0 or 'max'", param, ctx)
        return speed


def speed_text(speed: float | None) -> str:
    return "max" if speed is None else f"x{speed:g}"


def emit(summary: dict[str, Any], as_json: bool, title: str) -> None:
    """The result on stdout: one JSON line for machines, else a two-column table."""
    if as_json:
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return
    from firewatch.commands.console import print_table

    rows = [(key, _cell(value)) for key, value in summary.items()]
    print_table(title, ("", ""), rows)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def warn(message: str) -> None:
    """A warning the user must see even with logging at WARNING+: one line on stderr."""
    log.warning("%s", message)


def is_interactive(as_json: bool = False, quiet: bool = False) -> bool:
    """Progress is for a person at a terminal: never with --json, --quiet or a pipe."""
    return not (as_json or quiet) and sys.stderr.isatty()


def names_line(names: Sequence[str]) -> str:
    return ", ".join(sorted(names))


def broker_failure(exc: BaseException, what: str, address: str) -> Exception:
    """The user error for a failed connection: a missing file (e.g. a TLS CA) is bad input,
    anything else means the broker at `address` (host:port) did not answer as one should."""
    from firewatch.commands.failures import InputError, Unreachable

    if isinstance(exc, OSError) and exc.filename is not None:
        return InputError(f"{exc.filename}: {exc.strerror or exc}")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return Unreachable(f"{what} at {address} not reachable: {reason}")
