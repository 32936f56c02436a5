"""`firewatch report`: ledger statistics (台账) for a period."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.ledger import Database, build_report
from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "report", help="open incidents, response times, false alarms per device"
    )
    parser.add_argument("--database-url", help="default: the dispatch setting")
    parser.add_argument("--days", type=float, default=30.0, help="period to report (days)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def _fmt(summary: dict[str, Any]) -> str:
    if not summary["count"]:
        return "no data"
    median, p90, n = summary["median_s"], summary["p90_s"], summary["count"]
    return f"median {median:.0f} s, p90 {p90:.0f} s (n={n})"


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = args.database_url or settings.dispatch.database_url.get_secret_value()
    db = Database(url)
    db.migrate()
    now = datetime.now(UTC)
    report = build_report(db, now - timedelta(days=args.days), now,
                          settings.dispatch.false_alarms_per_day_limit)  # fmt: skip
    db.close()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
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
        print(f"  false alarms {dev['device_id']}: {dev['false_alarms']} "
              f"(worst day {dev['worst_day']}: {dev['worst_day_count']}){flag}")  # fmt: skip
    return 0
