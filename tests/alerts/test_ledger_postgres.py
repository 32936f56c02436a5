"""The ledger on a real PostgreSQL: migrations, a dispatch flow, the report, and the audit
chain catching an edit. The server is a throw-away cluster (initdb + pg_ctl) on a free port."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.ledger import build_report, verify
from alerts.lifecycle import Action, Outcome
from events.alerts import AlertKind
from firewatch.embedded.process import free_port
from runtime.clock import ManualClock
from tests.alerts.rig import DAY, build_rig, make_alert

pytestmark = pytest.mark.integration


def _pg_bin(name: str) -> str | None:
    return shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: use the `postgres` account the Debian package creates.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries not installed (make setup installs postgresql)")
    pytest.importorskip("psycopg", reason="psycopg not installed")
    data = Path(tempfile.mkdtemp(prefix="fw-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    log = data / "server.log"
    subprocess.run(
        _as_server_user(
            [initdb, "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_server_user(
            [pg_ctl, "-D", str(data / "db"), "-o", opts, "-l", str(log), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(data / "db"), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


async def test_ledger_on_postgresql(postgres_url: str) -> None:
    rig = build_rig(postgres_url, ManualClock(DAY))
    assert rig.ledger.db.is_postgres
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.alert(make_alert(device="sd-2"))  # a confirmation: conditions and tasks rows
    await rig.alert(make_alert(AlertKind.LOW_BATTERY, device="sd-3"))  # a work order
    rig.clock.advance(25)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    rig.clock.advance(95)
    await rig.act(inc.incident_key, Action.ON_SCENE)
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.TEST)
    stored = rig.ledger.incident(inc.incident_key)
    assert stored is not None
    assert (stored.conditions, stored.tasks) == (inc.conditions, inc.tasks)
    report = build_report(rig.ledger.db, DAY - timedelta(days=1), rig.clock.now())
    assert report["work_orders"]["opened_by_kind"] == {"low_battery": 1}
    assert report["time_to_acknowledge"]["median_s"] == 25.0
    assert report["time_to_scene"]["median_s"] == 120.0
    assert rig.ledger.db.migrate() == []
    assert verify(rig.ledger.db).is_ok
    with rig.ledger.db.transaction():
        rig.ledger.db.execute("UPDATE audit_log SET subject = 'x' WHERE seq = 2")
    assert "entry 2: content does not match its hash (edited)" in verify(rig.ledger.db).problems
    rig.ledger.db.close()
