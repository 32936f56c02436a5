"""`firewatch community`: people as sensors. The public report and patrol pages (`serve`), the
hazard desk of the dispatch side (`desk`), QR codes to print (`qr`), monthly statistics
(`stats`). docs/PEOPLE.md tells residents, grid workers and street offices how to use them."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, json_option
from firewatch.commands.failures import UsageError

if TYPE_CHECKING:
    from alerts.registry.registry import Registry


def _registry(directory: Path) -> Registry:
    from alerts.errors import DispatchError
    from alerts.registry import load_registry

    try:
        return load_registry(directory)
    except DispatchError as exc:
        raise UsageError(f"registry invalid: {exc}") from None


async def _run_until_stopped(service: Any, banner: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
        print(banner.format(url=service.url), flush=True)
        await stop.wait()
    finally:
        await service.stop()
    return 0


@click.group(
    "community",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch community serve --public-url https://fw.example.cn\n"
    "  firewatch community desk --port 8091\n"
    "  firewatch community qr --public-url https://fw.example.cn --out qr/ --png\n"
    "  firewatch community stats 2026-01 --json",
)
def command() -> None:
    """People as sensors: resident reports, patrols, hazard rectification (隐患整改)."""


@command.command(
    "serve",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch community serve --public-url https://fw.example.cn\n",
)
@click.option("--registry", type=click.Path(path_type=Path), help="Registry directory of YAML.")
@click.option("--bootstrap", help="Kafka bootstrap servers.")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=8090, help="0 = any free port.")
@click.option("--public-url", help="What QR codes and follow links point at.")
@click.option("--photo-dir", type=click.Path(path_type=Path), default=Path("var/photos"))
@click.option("--database", type=click.Path(path_type=Path), default=Path("var/community.db"))
@click.option("--trust-forwarded-for", is_flag=True, help="Behind a reverse proxy only.")
@click.pass_context
def serve(
    ctx: click.Context,
    *,
    registry: Path | None,
    bootstrap: str | None,
    host: str,
    port: int,
    public_url: str | None,
    photo_dir: Path,
    database: Path,
    trust_forwarded_for: bool,
) -> int:
    """The resident report page, follow links and patrol check-in pages."""
    import os

    from pydantic import SecretStr

    from community.config import CommunityConfig
    from community.service import CommunityService
    from firewatch.people import load_people

    settings = cli_of(ctx).settings().with_overrides(kafka={"bootstrap": bootstrap})
    registry_dir = registry or settings.dispatch.registry_dir
    places, staff = load_people(registry_dir, _registry(registry_dir))
    secret = os.environ.get("FIREWATCH_COMMUNITY__SESSION_SECRET")  # composition root only
    config = CommunityConfig(
        host=host,
        port=port,
        public_url=public_url or f"http://{host}:{port}",
        photo_dir=photo_dir,
        database_path=database,
        trust_forwarded_for=trust_forwarded_for,
        session_secret=SecretStr(secret) if secret else None,
    )
    service = CommunityService(config, settings.kafka, places, staff)
    return asyncio.run(_run_until_stopped(service, "community pages: {url}/r/<compound>"))


@command.command(
    "desk",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch community desk --database-url sqlite:///var/ledger.db",
)
@click.option("--registry", type=click.Path(path_type=Path), help="Registry directory of YAML.")
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.option("--bootstrap", help="Kafka bootstrap servers.")
@click.option("--port", type=int, default=8091, help="0 = any free port.")
@click.option("--photo-dir", type=click.Path(path_type=Path), default=Path("var/photos"))
@click.pass_context
def desk(
    ctx: click.Context,
    *,
    registry: Path | None,
    database_url: str | None,
    bootstrap: str | None,
    port: int,
    photo_dir: Path,
) -> int:
    """The hazard desk (dispatch side): reports in, rectification loop, escalation, API."""
    from pydantic import SecretStr

    from alerts.hazards.config import HazardsConfig
    from alerts.hazards.service import HazardService

    settings = cli_of(ctx).settings().with_overrides(kafka={"bootstrap": bootstrap})
    url = database_url or settings.dispatch.database_url.get_secret_value()
    config = HazardsConfig(
        registry_dir=registry or settings.dispatch.registry_dir,
        database_url=SecretStr(url),
        audit_key_file=settings.dispatch.audit_key_file,  # one chain, signed with one keyring
        photo_dir=photo_dir,
        port=port,
    )
    _registry(config.registry_dir)
    service = HazardService(config, settings.kafka)
    return asyncio.run(_run_until_stopped(service, "hazard desk API: {url}/api/hazards"))


@command.command(
    "qr",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch community qr --public-url https://fw.example.cn --out qr/",
)
@click.option("--registry", type=click.Path(path_type=Path), help="Registry directory of YAML.")
@click.option("--public-url", required=True, help="The address residents' phones reach.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("qr"))
@click.option("--png", "is_png", is_flag=True, help="PNG files beside the SVGs.")
@click.pass_context
def qr(ctx: click.Context, registry: Path | None, public_url: str, out: Path, is_png: bool) -> int:
    """QR codes for every building and patrol checkpoint, and a printable sheet."""
    from community.qr import codes, write_codes
    from firewatch.people import load_people

    registry_dir = registry or cli_of(ctx).settings().dispatch.registry_dir
    places, _staff = load_people(registry_dir, _registry(registry_dir))
    written = write_codes(codes(places, public_url), out, is_png=is_png)
    print(f"{len(written)} files in {out} (print {out / 'index.html'})")
    return 0


@command.command(
    "stats",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch community stats 2026-01\n"
    "  firewatch community stats 2026-01 --json",
)
@click.argument("month")
@click.option("--registry", type=click.Path(path_type=Path), help="Registry directory of YAML.")
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@json_option
@click.pass_context
def stats(
    ctx: click.Context, month: str, registry: Path | None, database_url: str | None, as_json: bool
) -> int:
    """Monthly statistics (YYYY-MM) per compound and street: hazards, patrols, incidents
    (the same as `firewatch report --monthly`)."""
    from datetime import UTC, datetime

    from alerts.hazards.patrols import load_patrols
    from alerts.hazards.stats_queries import monthly_report
    from firewatch.commands.ledger import open_existing
    from firewatch.commands.report import print_monthly

    settings = cli_of(ctx).settings()
    registry_dir = registry or settings.dispatch.registry_dir
    reg = _registry(registry_dir)
    db = open_existing(database_url or settings.dispatch.database_url.get_secret_value())
    street_of = {c.compound_id: c.street_id for c in reg.compounds}
    try:
        rows = monthly_report(
            db,
            load_patrols(registry_dir, reg),
            street_of,
            month,
            "Asia/Shanghai",
            datetime.now(UTC),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        db.close()
    data = [r.as_dict() for r in rows]
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print_monthly(month, data)
    return 0
