"""A throw-away PostgreSQL cluster (initdb + pg_ctl) on a free loopback port, for ledger tests.

One server per test session; each test takes a fresh database from `fresh_database`, so tests
stay independent without paying for a cluster each.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from firewatch.embedded.process import free_port


def pg_bin(name: str) -> str | None:
    return shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: use the `postgres` account the Debian package creates.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def missing_reason() -> str | None:
    if pg_bin("initdb") is None or pg_bin("pg_ctl") is None:
        return "PostgreSQL server binaries not installed (make setup installs postgresql)"
    try:
        import psycopg  # noqa: F401, PLC0415 - only checks it is installed
    except ImportError:
        return "psycopg not installed"
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """The admin URL of a running cluster; stopped and deleted on exit."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    assert initdb is not None
    assert pg_ctl is not None
    data = Path(tempfile.mkdtemp(prefix="fw-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    cluster = str(data / "db")
    init = [initdb, "-D", cluster, "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_server_user(init), check=True, capture_output=True)
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [pg_ctl, "-D", cluster, "-o", opts, "-l", str(data / "server.log"), "-w", "start"]
    subprocess.run(_as_server_user(start), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "-D", cluster, "-m", "immediate", "stop"]
        subprocess.run(_as_server_user(stop), check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    import psycopg  # noqa: PLC0415 - optional dependency of PostgreSQL tests

    name = f"fw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def stopped(admin_url: str) -> Iterator[None]:
    """The server of `admin_url` stopped for the block as a crash stops it (`-m immediate`:
    every connection dropped), then started again on the same port and socket directory."""
    import psycopg  # noqa: PLC0415 - optional dependency of PostgreSQL tests

    with psycopg.connect(admin_url, autocommit=True) as conn:
        cluster, sockets, port = (
            str(row[0])
            for name in ("data_directory", "unix_socket_directories", "port")
            for row in conn.execute(f"SHOW {name}").fetchall()
        )
    pg_ctl = pg_bin("pg_ctl")
    assert pg_ctl is not None
    stop = [pg_ctl, "-D", cluster, "-m", "immediate", "-w", "stop"]
    subprocess.run(_as_server_user(stop), check=True, capture_output=True)
    try:
        yield
    finally:
        opts = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(Path(cluster).parent / "server.log")
        start = [pg_ctl, "-D", cluster, "-o", opts, "-l", log, "-w", "start"]
        subprocess.run(_as_server_user(start), check=True, capture_output=True)
