"""The console's reads of the ledger (台账): an incident's story, closed incidents with
filters, and the rows of the inspection export (issue 11.8), scoped like every other read.

Reads go through the console's own database connection (the one holding its sessions), so
dispatch's writing connection and its lock are never held up by a person paging history.
The row builders are pure: a ledger incident and its transitions in, the columns a
fire-safety inspection asks for out (time, place in words, device, kind, who handled it,
time to acknowledge, time to scene, outcome, cause of a false alarm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.console.i18n import text
from alerts.console.places import locate, words
from alerts.console.scope import Scope
from alerts.ledger import queries
from alerts.ledger.db import Database
from alerts.lifecycle import Incident, Outcome, State
from alerts.registry.registry import Registry

PER_PAGE = 50
# One export holds at most this many incidents: a year of a busy street fits; more is a
# narrower date range (the page says so), never a truncated file passed off as whole.
MAX_EXPORT = 5000


@dataclass(frozen=True, slots=True)
class Filters:
    """History filters (issue 11.8): dates in the compound's zone, inclusive."""

    since: date | None = None
    until: date | None = None
    compound_id: str | None = None
    kind: str | None = None
    outcome: str | None = None


def parse_filters(query: dict[str, str]) -> Filters:
    """From the query string; raises ValueError on a malformed value (a 400, named)."""
    outcome = query.get("outcome") or None
    if outcome is not None:
        Outcome(outcome)
    return Filters(
        since=date.fromisoformat(query["since"]) if query.get("since") else None,
        until=date.fromisoformat(query["until"]) if query.get("until") else None,
        compound_id=query.get("compound") or None,
        kind=query.get("kind") or None,
        outcome=outcome,
    )


def closed_incidents(
    db: Database, registry: Registry, scope: Scope, filters: Filters
) -> list[Incident]:
    """Resolved incidents in the member's scope matching the filters, newest first."""
    zone = ZoneInfo(_zone(registry, filters.compound_id))
    where, args = "state = ?", list[Any]([State.RESOLVED.value])
    if filters.since is not None:
        where += " AND opened_at >= ?"
        args.append(datetime.combine(filters.since, time(), zone).timestamp())
    if filters.until is not None:
        where += " AND opened_at < ?"
        end = datetime.combine(filters.until + timedelta(days=1), time(), zone)
        args.append(end.timestamp())
    if filters.compound_id is not None:
        where += " AND compound_id = ?"
        args.append(filters.compound_id)
    if filters.outcome is not None:
        where += " AND outcome = ?"
        args.append(filters.outcome)
    found = queries.incidents(db, where, args)
    kept = [i for i in found if scope.sees(i) and (not filters.kind or i.kind == filters.kind)]
    return sorted(kept, key=lambda i: i.opened_at, reverse=True)


def _zone(registry: Registry, compound_id: str | None) -> str:
    compound = registry.compound(compound_id) if compound_id else None
    if compound is not None:
        return compound.timezone
    return registry.compounds[0].timezone if registry.compounds else "Asia/Shanghai"


def story_rows(db: Database, key: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The incident's transitions and pages, as alerts.console.story.timeline reads them."""
    transitions = queries.transitions(db, key)
    pages = db.query(
        "SELECT step_id, recipient, channel, at, is_ok, detail FROM notifications"
        " WHERE incident_key = ? ORDER BY at",
        (key,),
    )
    return transitions, pages


_TRANSITIONS = (
    "SELECT incident_key, action, from_state, to_state, actor, at, source, detail FROM transitions"
)


def transitions_of(db: Database, keys: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The transitions of many incidents in few queries (the export's "who handled it"),
    each incident's in ledger order."""
    out: dict[str, list[tuple[Any, ...]]] = {key: [] for key in keys}
    for start in range(0, len(keys), 500):  # SQLite's default limit is 999 parameters
        chunk = keys[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        # Only "?" placeholders are formatted in; the keys travel as parameters.
        sql = f"{_TRANSITIONS} WHERE incident_key IN ({marks}) ORDER BY id"
        rows = db.query(sql, chunk)
        for row in rows:
            out[row[0]].append(tuple(row[1:]))
    return out


def handlers(transitions: list[tuple[Any, ...]]) -> list[str]:
    """Who handled it: the assignee(s), then whoever acknowledged, went on scene, assessed or
    resolved it (people, never dispatch itself), in order, each once."""
    people: list[str] = []
    for action, _f, _t, actor, _at, _source, detail in transitions:
        who = detail if action == "assign" else actor
        is_person = action in ("assign", "acknowledge", "on_scene", "confirm", "deny", "resolve")
        if is_person and who and who not in people:
            people.append(who)
    return people


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    hours, rest = divmod(s, 3600)
    clock = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours}:{clock}" if hours else clock


def incident_row(
    inc: Incident, transitions: list[tuple[Any, ...]], registry: Registry, lang: str
) -> list[str]:
    """One 台账 line, in the member's language and the compound's zone."""
    place = locate(registry, inc.compound_id, inc.building_id, inc.device_id, _lead_key(inc))
    zone = ZoneInfo(place["compound"]["timezone"])
    names = [_name(registry, m) for m in handlers(transitions)]
    lead = inc.lead_condition
    return [
        inc.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        place["compound"]["name_en" if lang == "en" else "name"],
        words(place["parts"], lang),
        (lead.device_id or "") if lead else "",
        text(lang, f"kind.{inc.kind.value}"),
        text(lang, f"severity.{inc.severity.value}"),
        "、".join(names) if lang != "en" else ", ".join(names),
        mmss(_seconds(inc.opened_at, inc.acknowledged_at)),
        mmss(_seconds(inc.opened_at, inc.on_scene_at)),
        text(lang, f"outcome.{inc.outcome.value}") if inc.outcome else "",
        inc.false_alarm_cause or "",
        inc.incident_key,
    ]


INCIDENT_HEADERS = (
    "export.col.time",
    "export.col.compound",
    "export.col.place",
    "export.col.device",
    "export.col.kind",
    "export.col.severity",
    "export.col.handled_by",
    "export.col.to_ack",
    "export.col.to_scene",
    "export.col.outcome",
    "export.col.cause",
    "export.col.key",
)


def _name(registry: Registry, member_id: str) -> str:
    member = registry.member(member_id)
    return f"{member.name} ({member_id})" if member else member_id


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def _lead_key(inc: Incident) -> str:
    lead = inc.lead_condition
    return lead.condition_key if lead else inc.incident_key
