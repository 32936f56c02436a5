"""No ledger connection of ours is left "idle in transaction" on a real PostgreSQL after the
console's and dispatch's everyday reads: psycopg opens a transaction on the first statement,
and one never ended holds its table locks, so a later migration's DDL would wait behind it
(and VACUUM could not clean behind its snapshot)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from alerts.ledger import Database
from runtime.clock import ManualClock
from tests import postgres

from .console_rig import ConsoleRig, serve_console
from .rig import DAY, make_alert

pytestmark = pytest.mark.integration

SMOKE = "c001-b1-f3-u2-smk"
# A migration waits this long for its lock at the most; long enough for any statement of ours
# in flight on a loaded machine, far shorter than a transaction left open for good.
_DDL_LOCK_TIMEOUT = "5s"


@pytest.fixture
async def rig(pg_admin: str) -> AsyncIterator[ConsoleRig]:
    async with serve_console(postgres.fresh_database(pg_admin), ManualClock(DAY)) as r:
        yield r


async def _console_reads(rig: ConsoleRig, key: str) -> None:
    """What a duty member's page asks for: the list, a story, history, the 台账, work orders."""
    async with rig.signed_in("ste-m1") as (client, _csrf):
        for path, params in (
            ("/api/me", {}),
            ("/api/incidents", {}),
            ("/api/story", {"key": key}),
            ("/api/history", {}),
            ("/api/export.csv", {}),
            ("/api/work-orders", {}),
            ("/api/hazards", {}),
        ):
            res = await client.get(path, params=params)
            assert res.status_code == 200, (path, res.text)


def _dispatch_reads(rig: ConsoleRig, key: str) -> None:
    """What dispatch reads between its writes: readiness, a restart's restore, forwarding's
    transitions."""
    ledger = rig.backend.ledger
    ledger.ping()
    ledger.restore(rig.backend.clock.now() - timedelta(hours=1))
    assert ledger.incident(key) is not None
    assert ledger.transitions(key)
    ledger.open_incidents()
    ledger.work_orders()
    ledger.pending_commands()


def _sessions(admin_url: str, database: str) -> list[tuple[str, str]]:
    import psycopg  # noqa: PLC0415 - optional dependency of PostgreSQL tests

    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, query FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()",
            (database,),
        ).fetchall()
    return [(str(state), str(query)) for state, query in rows]


def _migrate_now(db_url: str) -> None:
    """A later migration's DDL, as `firewatch dispatch` would apply it at an upgrade."""
    import psycopg  # noqa: PLC0415 - optional dependency of PostgreSQL tests

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = '{_DDL_LOCK_TIMEOUT}'")
        conn.execute("ALTER TABLE incidents ADD COLUMN idle_probe TEXT")
        conn.execute("ALTER TABLE transitions ADD COLUMN idle_probe TEXT")


async def test_reads_leave_no_connection_idle_in_transaction(
    rig: ConsoleRig, pg_admin: str
) -> None:
    key = (await rig.raise_alert(make_alert(device=SMOKE, at=DAY))).incident_key
    await _console_reads(rig, key)
    _dispatch_reads(rig, key)

    database = rig.db_url.rsplit("/", 1)[1]
    sessions = _sessions(pg_admin, database)
    assert len(sessions) >= 2, sessions  # the ledger's and the console's connections
    assert [s for s in sessions if s[0].startswith("idle in transaction")] == []
    _migrate_now(rig.db_url)  # would time out behind a transaction left open


def test_a_statement_outside_a_transaction_is_its_own(db_url: str) -> None:
    """Committed when it returns (another connection sees it), and a failed one is rolled
    back: PostgreSQL would refuse every later statement of an aborted transaction."""
    db, other = Database(db_url), Database(db_url)
    try:
        db.execute("CREATE TABLE probe (n INTEGER)")
        db.execute("INSERT INTO probe (n) VALUES (?)", (1,))
        assert other.query("SELECT n FROM probe") == [(1,)]
        with pytest.raises(Exception, match=r"no such table|does not exist"):
            db.query("SELECT n FROM no_such_table")
        assert db.query("SELECT n FROM probe") == [(1,)]
    finally:
        db.close()
        other.close()
