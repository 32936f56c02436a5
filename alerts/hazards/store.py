"""Hazards, their changes, the reports behind them and patrol check-ins in the ledger database
(migration 0006), through `alerts.ledger.db.Database`: SQLite by default, PostgreSQL by URL.

A hazard and its change are written in one transaction, with the report that caused it when
there is one, so a report is either fully taken in or not at all (and then taken in again on
the redelivery: the consumer is idempotent by report id). Every write passes its rows to the
ledger's audit chain inside its transaction (alerts/hazards/ledger_audit.py).
"""

from __future__ import annotations

from datetime import datetime

from alerts.hazards.coverage import CheckIn
from alerts.hazards.hazard_rows import COLUMNS, SELECT, hazard_from, hazard_values, utc
from alerts.hazards.ledger_audit import DESK, join_audit
from alerts.hazards.model import OPEN_STATES, Hazard, HazardChange
from alerts.hazards.nearby import HazardView, IncidentPlaceLike, hazards_near
from alerts.hazards.report import read_checkins
from alerts.ledger.audit import AuditLog, RowRef
from alerts.ledger.db import Database
from events.hazards import HazardAction, HazardState
from events.reports import HazardReport, PatrolCheckIn


class HazardStore:
    def __init__(self, db: Database, audit: AuditLog | None = None) -> None:
        self.db = db
        self.audit = audit or join_audit(db)

    # -- hazards ----------------------------------------------------------------------------
    def save(self, h: Hazard, change: HazardChange, report: HazardReport | None = None) -> None:
        values = (*hazard_values(h), h.rectified_by)
        with self.db.transaction():
            rows = self.db.query(
                "SELECT published_seq FROM hazards WHERE hazard_id = ?", (h.hazard_id,)
            )
            published = int(rows[0][0]) if rows else 0
            self.db.execute("DELETE FROM hazards WHERE hazard_id = ?", (h.hazard_id,))
            marks = ", ".join("?" * (len(values) + 1))
            self.db.execute(
                f"INSERT INTO hazards ({', '.join(COLUMNS)}, rectified_by, published_seq)"  # noqa: S608 - fixed list
                f" VALUES ({marks})",
                (*values, published),
            )
            c = change
            self.db.execute(
                "INSERT INTO hazard_transitions (hazard_id, seq, action, from_state, to_state,"
                " actor, at, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.hazard_id,
                    c.seq,
                    c.action.value,
                    c.from_state.value if c.from_state else None,
                    c.to_state.value,
                    c.actor,
                    c.at.timestamp(),
                    c.source,
                    c.detail,
                ),
            )
            refs: list[RowRef] = [
                ("hazards", (h.hazard_id,)),
                ("hazard_transitions", (c.hazard_id, c.seq)),
            ]
            if report is not None:
                self._insert_report(report, h.hazard_id, change.at)
                refs.append(("hazard_reports", (report.report_id,)))
            payload = {"seq": c.seq, "to": c.to_state.value, "source": c.source}
            self.audit.append(
                c.at.timestamp(), c.actor, f"hazard_{c.action.value}", h.hazard_id, payload, refs
            )

    def _insert_report(self, report: HazardReport, hazard_id: str, at: datetime) -> None:
        self.db.execute(
            "INSERT INTO hazard_reports (report_id, hazard_id, source, category,"
            " compound_id, reported_at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report.report_id,
                hazard_id,
                report.source.value,
                report.category.value,
                report.place.compound_id,
                report.reported_at.timestamp(),
                at.timestamp(),
                report.model_dump_json(),
            ),
        )

    def mark_published(self, hazard_id: str, seq: int, at: datetime) -> None:
        with self.db.transaction():
            count = self.db.execute(
                "UPDATE hazards SET published_seq = ? WHERE hazard_id = ? AND published_seq < ?",
                (seq, hazard_id, seq),
            )
            if count:
                self.audit.append(
                    at.timestamp(),
                    DESK,
                    "hazard_published",
                    hazard_id,
                    {"seq": seq},
                    [("hazards", (hazard_id,))],
                )

    def unpublished(self) -> list[tuple[Hazard, HazardChange]]:
        """Hazards whose last change Kafka never acknowledged, with that change (restart)."""
        rows = self.db.query(f"{SELECT} WHERE published_seq < seq ORDER BY found_at")
        hazards = [hazard_from(r) for r in rows]
        return [(h, self.changes(h.hazard_id)[-1]) for h in hazards]

    def has_report(self, report_id: str) -> bool:
        rows = self.db.query("SELECT 1 FROM hazard_reports WHERE report_id = ?", (report_id,))
        return bool(rows)

    def hazard(self, hazard_id: str) -> Hazard | None:
        rows = self.db.query(f"{SELECT} WHERE hazard_id = ?", (hazard_id,))
        return hazard_from(rows[0]) if rows else None

    def hazards(
        self,
        states: frozenset[HazardState] | None = None,
        compound_ids: frozenset[str] | None = None,
    ) -> list[Hazard]:
        """Hazards in any of `states` (all when None) of any of `compound_ids`, oldest first."""
        found = [hazard_from(r) for r in self.db.query(f"{SELECT} ORDER BY found_at")]
        return [
            h
            for h in found
            if (states is None or h.state in states)
            and (compound_ids is None or h.compound_id in compound_ids)
        ]

    def open_hazards(self) -> list[Hazard]:
        return self.hazards(OPEN_STATES)

    def open_hazards_at(self, compound_id: str, building_id: str | None) -> list[Hazard]:
        return open_hazards_at(self.db, compound_id, building_id)

    def changes(self, hazard_id: str) -> list[HazardChange]:
        rows = self.db.query(
            "SELECT hazard_id, seq, action, from_state, to_state, actor, at, source, detail"
            " FROM hazard_transitions WHERE hazard_id = ? ORDER BY seq",
            (hazard_id,),
        )
        return [
            HazardChange(
                r[0],
                int(r[1]),
                HazardAction(r[2]),
                HazardState(r[3]) if r[3] else None,
                HazardState(r[4]),
                r[5],
                utc(r[6]),
                r[7],
                r[8],
            )
            for r in rows
        ]

    # -- patrols ----------------------------------------------------------------------------
    def record_checkin(self, c: PatrolCheckIn) -> bool:
        """Store one check-in; False when it was stored before (a redelivery)."""
        if self.db.query("SELECT 1 FROM patrol_checkins WHERE checkin_id = ?", (c.checkin_id,)):
            return False
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO patrol_checkins (checkin_id, round_id, checkpoint_id, compound_id,"
                " member_id, at, is_ok, finding_report_id, note, received_via)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.checkin_id,
                    c.round_id,
                    c.checkpoint_id,
                    c.compound_id,
                    c.member_id,
                    c.at.timestamp(),
                    int(c.is_ok),
                    c.finding_report_id,
                    c.note,
                    c.received_via,
                ),
            )
            self.audit.append(
                c.at.timestamp(),
                c.member_id,
                "patrol_checkin",
                c.compound_id,
                {"round": c.round_id, "checkpoint": c.checkpoint_id, "ok": c.is_ok},
                [("patrol_checkins", (c.checkin_id,))],
            )
        return True

    def checkins(self, start: datetime, end: datetime) -> list[CheckIn]:
        return read_checkins(self.db, start, end)


def open_hazards_at(db: Database, compound_id: str, building_id: str | None) -> list[Hazard]:
    """Open hazards of one building (or of the compound's grounds when `building_id` is
    None): what alerts.hazards.nearby.hazards_near ranks for an incident there. A plain read:
    the console calls it on dispatch's ledger connection."""
    args: tuple[str, ...]
    if building_id is None:
        where, args = "compound_id = ? AND building_id IS NULL", (compound_id,)
    else:
        where, args = "compound_id = ? AND building_id = ?", (compound_id, building_id)
    rows = db.query(f"{SELECT} WHERE {where} ORDER BY found_at", args)
    return [h for h in map(hazard_from, rows) if h.state in OPEN_STATES]


def hazards_near_incident(
    db: Database, incident: IncidentPlaceLike, now: datetime
) -> list[HazardView]:
    """The console's one call: the open hazards near `incident`, most urgent for the crew
    first (alerts/hazards/nearby.py)."""
    found = open_hazards_at(db, incident.compound_id, incident.building_id)
    return hazards_near(incident, found, now)
