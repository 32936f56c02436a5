"""`firewatch report`: ledger statistics (台账) for a period, or a month's statistics per
compound and street (`--monthly`). Read-only: never creates a ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, json_option
from firewatch.commands.failures import UsageError

if TYPE_CHECKING:
    from alerts.hazards.patrols import PatrolRound
    from alerts.ledger import Database
    from alerts.registry.registry import Registry


@click.command(
    "report",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch report --days 7\n"
    "  firewatch report --database-url postgresql://fw@db/firewatch --json\n"
    "  firewatch report --monthly 2026-11\n"
    "  firewatch report --monthly 2026-11 --json > 2026-11.json",
)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=30.0, help="Period.")
@click.option(
    "--monthly",
    metavar="YYYY-MM",
    help="A calendar month's statistics per compound and street instead of the period report.",
)
@click.option(
    "--registry",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Registry directory with the patrol rounds. Default: FIREWATCH_DISPATCH__REGISTRY_DIR.",
)
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    help="Where the month begins and ends.",
)
@json_option
@click.pass_context
def command(
    ctx: click.Context,
    *,
    database_url: str | None,
    days: float,
    monthly: str | None,
    registry: Path | None,
    timezone: str,
    as_json: bool,
) -> int:
    """Open incidents, response times, false alarms per device, work orders, hazards and
    patrol coverage; or (--monthly) the month per compound and street."""
    from alerts.errors import DispatchError
    from alerts.hazards.patrols import load_patrols
    from alerts.hazards.report import people_report
    from alerts.ledger import build_report
    from alerts.registry import load_registry
    from firewatch.commands.ledger import open_existing

    settings = cli_of(ctx).settings()
    registry_dir = registry or settings.dispatch.registry_dir
    try:
        reg = load_registry(registry_dir)
        rounds = load_patrols(registry_dir, reg)
    except DispatchError as exc:  # the patrol rounds are the registry's: name what is wrong
        raise UsageError(f"registry invalid: {exc}") from None
    db = open_existing(database_url or settings.dispatch.database_url.get_secret_value())
    now = datetime.now(UTC)
    limit = settings.dispatch.false_alarms_per_day_limit
    try:
        if monthly is not None:
            return _monthly(db, rounds, reg, monthly, timezone, now, as_json=as_json)
        since = now - timedelta(days=days)
        report = build_report(db, since, now, limit) | people_report(db, rounds, since, now)
    finally:
        db.close()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    _print_report(report)
    return 0


def _monthly(  # noqa: PLR0917 - the month and where to read it
    db: Database,
    rounds: tuple[PatrolRound, ...],
    reg: Registry,
    label: str,
    timezone: str,
    now: datetime,
    *,
    as_json: bool,
) -> int:
    from alerts.hazards.stats_queries import monthly_report

    street_of = {c.compound_id: c.street_id for c in reg.compounds}
    try:
        rows = [r.as_dict() for r in monthly_report(db, rounds, street_of, label, timezone, now)]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        data = {"month": label, "timezone": timezone, "rows": rows}
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print_monthly(label, rows)
    return 0


MONTHLY_COLUMNS = (
    ("scope", "scope", "<8"),
    ("scope_id", "id", "<12"),
    ("hazards_found", "found", ">5"),
    ("rectified_on_time", "on time", ">7"),
    ("rectified_late", "late", ">4"),
    ("overdue", "overdue", ">7"),
    ("whistles", "whistles", ">8"),
    ("patrol_coverage", "patrols", ">7"),
    ("missed_rounds", "missed", ">6"),
    ("incidents", "incidents", ">9"),
    ("false_alarms", "false", ">5"),
    ("ack_median_s", "ack med s", ">9"),
    ("scene_median_s", "scene med s", ">11"),
)


def print_monthly(label: str, rows: list[dict[str, Any]]) -> None:
    """The month as a table (a row per compound, then per street)."""
    print(f"Month {label}: hazards, patrols and incidents per compound and street")
    print("  ".join(f"{title:{align}}" for _key, title, align in MONTHLY_COLUMNS))
    for row in rows:
        print("  ".join(f"{_cell(key, row[key]):{align}}" for key, _t, align in MONTHLY_COLUMNS))


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "patrol_coverage":
        return f"{value:.0%}"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def _fmt(summary: dict[str, Any]) -> str:
    if not summary["count"]:
        return "no data"
    median, p90, n = summary["median_s"], summary["p90_s"], summary["count"]
    return f"median {median:.0f} s, p90 {p90:.0f} s (n={n})"


def _print_report(report: dict[str, Any]) -> None:
    print(f"Incidents since {report['since']}: {report['incidents']}")
    print(f"Open now: {len(report['open_incidents'])}")
    for inc in report["open_incidents"]:
        line = f"  {inc['severity']} {inc['state']:<12} {inc['incident_key']}"
        print(f"{line} -> {inc['station_id']}")
    print(f"By compound: {report['by_compound']}")
    print(f"By station:  {report['by_station']}")
    print(f"Time to acknowledge: {_fmt(report['time_to_acknowledge'])}")
    print(f"Time to scene:       {_fmt(report['time_to_scene'])}")
    orders = report["work_orders"]
    print(f"Maintenance work orders open: {len(orders['open'])} ({orders['overdue']} overdue)")
    for order in orders["open"]:
        late = "  OVERDUE" if order["is_overdue"] else ""
        what = order["device_id"] or order["order_id"]  # a missed round or a feed: its order
        print(f"  {order['kind']:<18} {what} due {order['due_at']}{late}")
    _print_people(report)
    for dev in report["false_alarms_by_device"]:
        flag = "  NEEDS A HANDLING PLAN (> limit a day)" if dev["needs_handling_plan"] else ""
        worst = f"worst day {dev['worst_day']}: {dev['worst_day_count']}"
        print(f"  false alarms {dev['device_id']}: {dev['false_alarms']} ({worst}){flag}")


def _print_people(report: dict[str, Any]) -> None:
    h, p = report["hazards"], report["patrols"]
    print(
        f"Hazards: found {h['found']}, triaged {h['triaged']}, closed {h['closed']},"
        f" whistled {h['whistled']}; open now {h['open']} ({h['overdue']} overdue)"
    )
    coverage = "no rounds due" if p["coverage"] is None else f"{p['coverage']:.0%}"
    print(
        f"Patrol coverage: {coverage} ({p['checked']}/{p['expected']} checkpoints,"
        f" {p['missed_slots']} missed rounds)"
    )
    for cid, c in p["by_compound"].items():
        share = "-" if c["coverage"] is None else f"{c['coverage']:.0%}"
        print(f"  {cid:<12} {share:>5} ({c['checked']}/{c['expected']})")
