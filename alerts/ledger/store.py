"""The ledger (台账): incidents, transitions, pages and commands, every write audited."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.ledger.audit import AuditLog, RowRef
from alerts.ledger.audit_keys import Keyring
from alerts.ledger.db import Database
from alerts.lifecycle import Incident, Outcome, State, Transition
from alerts.linkage import CommandState, PendingCommand
from events.alerts import AlertKind, LinkageAction, Severity
from events.commands import Command

_INCIDENT_COLUMNS = (
    "incident_key, alert_key, kind, severity, state, compound_id, building_id, device_id,"
    " station_id,"
    " summary, dispatch_reason, revision, opened_at, acknowledged_at, on_scene_at,"
    " resolved_at, assessment, outcome, false_alarm_cause, is_muted, confirmations,"
    " fired_steps, delivery_failures, next_due_at"
)

# Built once from the fixed column list above, never from input.
_UPDATE_INCIDENT = (
    "UPDATE incidents SET "  # noqa: S608
    + ", ".join(f"{c.strip()} = ?" for c in _INCIDENT_COLUMNS.split(",")[1:])
    + " WHERE incident_key = ?"
)


def ts(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class Ledger:
    def __init__(
        self,
        db: Database,
        keyring: Keyring | None = None,
        checkpoint_file: Path | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`keyring` signs the audit chain; `checkpoint_file` receives its signed checkpoints
        (alerts/ledger/audit.py). Without a keyring the chain is checkable but not anchored."""
        self.db = db
        applied = db.migrate()
        self.audit = AuditLog(db, keyring, checkpoint_file, adopt_migrations=applied, now=now)
        self._now = now
        rows = db.query("SELECT COALESCE(MAX(id), 0) FROM transitions")
        self._transition_id = int(rows[0][0])

    def save_incident(self, inc: Incident) -> None:
        with self.db.transaction():
            self._write_incident(inc)
            self.audit.append(
                self._now(),
                "dispatch",
                "incident_saved",
                inc.incident_key,
                {"state": inc.state.value, "revision": inc.revision},
                rows=[("incidents", (inc.incident_key,))],
            )

    def _write_incident(self, inc: Incident) -> None:
        values = _incident_values(inc)
        updated = self.db.execute(_UPDATE_INCIDENT, (*values[1:], values[0]))
        if updated == 0:
            marks = ", ".join("?" * len(values))
            self.db.execute(f"INSERT INTO incidents ({_INCIDENT_COLUMNS}) VALUES ({marks})",  # noqa: S608 - fixed column list
                            values)  # fmt: skip

    def record(self, inc: Incident, transition: Transition) -> None:
        """Persist the incident and one transition, audited, in one transaction."""
        t = transition
        with self.db.transaction():
            self._transition_id += 1
            self.db.execute(
                "INSERT INTO transitions (id, incident_key, action, from_state, to_state, actor,"
                " at, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self._transition_id, t.incident_key, t.action.value, t.from_state.value,
                 t.to_state.value, t.actor, t.at.timestamp(), t.source, t.detail),
            )  # fmt: skip
            self._write_incident(inc)
            self.audit.append(
                t.at.timestamp(), t.actor, t.action.value, t.incident_key,
                {"from": t.from_state.value, "to": t.to_state.value, "source": t.source,
                 "detail": t.detail},
                rows=[("transitions", (self._transition_id,)), ("incidents", (inc.incident_key,))],
            )  # fmt: skip

    def record_page(self, incident_key: str, step_id: str, recipient: str, channel: str,  # noqa: PLR0917
                    at: datetime, is_ok: bool, detail: str) -> None:  # fmt: skip
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO notifications (incident_key, step_id, recipient, channel, at, is_ok,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?)"
                # a step re-fired after a restart pages again (at least once): keep the last
                " ON CONFLICT (incident_key, step_id, recipient, channel) DO UPDATE SET"
                " at = excluded.at, is_ok = excluded.is_ok, detail = excluded.detail",
                (incident_key, step_id, recipient, channel, at.timestamp(), int(is_ok), detail),
            )
            self.audit.append(at.timestamp(), "dispatch", "page", incident_key,
                              {"step": step_id, "to": recipient, "channel": channel,
                               "ok": is_ok, "detail": detail},
                              rows=[("notifications", (incident_key, step_id, recipient,
                                                       channel))])  # fmt: skip

    def save_command(self, pending: PendingCommand, actor: str = "dispatch") -> None:
        c = pending.command
        with self.db.transaction():
            updated = self.db.execute(
                "UPDATE commands SET state = ?, confirmed_at = ? WHERE command_id = ?",
                (pending.state.value, ts(pending.confirmed_at), c.command_id),
            )
            if updated == 0:
                self.db.execute(
                    "INSERT INTO commands (command_id, incident_key, action, compound_id,"
                    " gateway_id, device_id, issued_at, deadline_at, confirmed_at, state)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.command_id, c.incident_key, c.action.value, c.compound_id, c.gateway_id,
                     c.device_id, c.issued_at.timestamp(), pending.deadline_at.timestamp(),
                     ts(pending.confirmed_at), pending.state.value),
                )  # fmt: skip
            at = pending.confirmed_at or c.issued_at
            self.audit.append(at.timestamp(), actor, f"command_{pending.state.value}",
                              c.incident_key, {"command_id": c.command_id},
                              rows=[("commands", (c.command_id,))])  # fmt: skip

    def open_incidents(self) -> list[Incident]:
        rows = self.db.query(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE state <> ? ORDER BY opened_at",  # noqa: S608
            (State.RESOLVED.value,),
        )
        return [_incident_from(r) for r in rows]

    def incident(self, incident_key: str) -> Incident | None:
        rows = self.db.query(
            f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE incident_key = ?",  # noqa: S608
            (incident_key,),
        )
        return _incident_from(rows[0]) if rows else None

    def last_occurrence(self, alert_key: str) -> tuple[int, int, datetime | None]:
        """(occurrences so far, highest revision seen, last resolution) of an alert key."""
        rows = self.db.query(
            "SELECT COUNT(*), COALESCE(MAX(revision), 0), MAX(resolved_at) FROM incidents"
            " WHERE alert_key = ?",
            (alert_key,),
        )
        return int(rows[0][0]), int(rows[0][1]), dt(rows[0][2])

    def has_command(self, command_id: str) -> bool:
        rows = self.db.query("SELECT 1 FROM commands WHERE command_id = ?", (command_id,))
        return bool(rows)

    def pending_commands(self) -> list[PendingCommand]:
        rows = self.db.query(
            "SELECT command_id, incident_key, action, compound_id, gateway_id, device_id,"
            " issued_at, deadline_at FROM commands WHERE state = ?",
            (CommandState.PENDING.value,),
        )
        out = []
        for cid, key, action, comp, gw, dev, issued, deadline in rows:
            issued_at, deadline_at = _at(issued), _at(deadline)
            cmd = Command(command_id=cid, incident_key=key, action=LinkageAction(action),
                          compound_id=comp, gateway_id=gw, device_id=dev, issued_at=issued_at,
                          readback_deadline_s=max(0.001, deadline - issued))  # fmt: skip
            out.append(PendingCommand(cmd, deadline_at))
        return out

    def transitions(self, incident_key: str) -> list[tuple[Any, ...]]:
        return self.db.query(
            "SELECT action, from_state, to_state, actor, at, source, detail FROM transitions"
            " WHERE incident_key = ? ORDER BY id",
            (incident_key,),
        )

    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention: drop resolved incidents (and their records) resolved before `cutoff`."""
        at = cutoff.timestamp()
        old = "SELECT incident_key FROM incidents WHERE state = ? AND resolved_at < ?"
        args = (State.RESOLVED.value, at)
        with self.db.transaction():
            deleted: list[RowRef] = []
            counts = {}
            for table in ("transitions", "notifications", "commands", "incidents"):
                where = f"incident_key IN ({old})"
                deleted += [(table, k) for k in self.audit.keys_where(table, where, args)]
                counts[table] = self.db.execute(
                    f"DELETE FROM {table} WHERE {where}",  # noqa: S608
                    args,
                )
            counts["audit_log"] = self.audit.purge_before(at, deleted, counts)
        return counts


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _incident_values(inc: Incident) -> tuple[Any, ...]:
    return (
        inc.incident_key, inc.alert_key, inc.kind.value, inc.severity.value, inc.state.value,
        inc.compound_id,
        inc.building_id, inc.device_id, inc.station_id, inc.summary, inc.dispatch_reason,
        inc.revision, inc.opened_at.timestamp(), ts(inc.acknowledged_at), ts(inc.on_scene_at),
        ts(inc.resolved_at), inc.assessment, inc.outcome.value if inc.outcome else None,
        inc.false_alarm_cause, int(inc.is_muted), json.dumps(sorted(inc.confirmations)),
        json.dumps(sorted(inc.fired_steps)), inc.delivery_failures, ts(inc.next_due_at),
    )  # fmt: skip


def _incident_from(r: tuple[Any, ...]) -> Incident:
    opened = _at(r[12])
    return Incident(
        incident_key=r[0], alert_key=r[1], kind=AlertKind(r[2]), severity=Severity(r[3]),
        state=State(r[4]), compound_id=r[5], building_id=r[6], device_id=r[7], station_id=r[8],
        summary=r[9], dispatch_reason=r[10], revision=int(r[11]), opened_at=opened,
        acknowledged_at=dt(r[13]), on_scene_at=dt(r[14]), resolved_at=dt(r[15]),
        assessment=r[16], outcome=Outcome(r[17]) if r[17] else None, false_alarm_cause=r[18],
        is_muted=bool(r[19]), confirmations=set(json.loads(r[20])),
        fired_steps=set(json.loads(r[21])), delivery_failures=int(r[22]),
        next_due_at=dt(r[23]),
    )  # fmt: skip
