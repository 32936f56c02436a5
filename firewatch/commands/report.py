"""`firewatch report`: ledger statistics (台账) for a period. Read-only: never creates a ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, json_option


@click.command(
    "report",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch report --days 7\n"
    "  firewatch report --database-url postgresql://fw@db/firewatch --json",
)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=30.0, help="Period.")
@json_option
@click.pass_context
def command(ctx: click.Context, database_url: str | None, days: float, as_json: bool) -> int:
    """Open incidents, response times, false alarms per device."""
    from alerts.ledger import build_report
    from firewatch.commands.ledger import open_existing

    settings = cli_of(ctx).settings()
    db = open_existing(database_url or settings.dispatch.database_url.get_secret_value())
    now = datetime.now(UTC)
    limit = settings.dispatch.false_alarms_per_day_limit
    try:
        report = build_report(db, now - timedelta(days=days), now, limit)
    finally:
        db.close()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    _print_report(report)
    return 0


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
        print(f"  {order['kind']:<18} {order['device_id'] or '-'} due {order['due_at']}{late}")
    for dev in report["false_alarms_by_device"]:
        flag = "  NEEDS A HANDLING PLAN (> limit a day)" if dev["needs_handling_plan"] else ""
        worst = f"worst day {dev['worst_day']}: {dev['worst_day_count']}"
        print(f"  false alarms {dev['device_id']}: {dev['false_alarms']} ({worst}){flag}")
