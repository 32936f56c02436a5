"""Shared fixtures: real brokers on free loopback ports, started fresh for the tests that ask.

When a broker cannot be started here the test is skipped with the reason, except under CI
(`CI=true`), where a missing broker is a failure: CI installs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.embedded.victoria import VictoriaMetrics, VictoriaMetricsNotInstalled, binary
from firewatch.kafka_admin import ensure_topics
from tests import postgres
from tests.browser import chromium

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture
def datasets() -> Path:
    """The shared public data sets (../shared/datasets beside the checkout)."""
    if not DATASETS.is_dir():
        _unavailable(f"shared datasets not found at {DATASETS}")
    return DATASETS


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        _unavailable("mosquitto is not installed (make setup installs it)")
    broker = start_mosquitto(tmp_path / "mosquitto", log_path=tmp_path / "mosquitto.log")
    try:
        yield broker
    finally:
        broker.process.stop()


@pytest.fixture
def tansu(tmp_path: Path) -> Iterator[TansuBroker]:
    broker = start_tansu(log_path=tmp_path / "tansu.log")
    try:
        yield broker
    finally:
        broker.process.stop()


@pytest.fixture
async def kafka(tansu: TansuBroker) -> TansuBroker:
    """A fresh Tansu broker with every topic of the topic table created."""
    await ensure_topics(tansu.bootstrap)
    return tansu


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    """The sink's database (InfluxDB v2 write API) on a free loopback port."""
    try:
        binary()
    except VictoriaMetricsNotInstalled as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide this: {exc}")
        pytest.skip(str(exc))
    server = VictoriaMetrics(tmp_path / "vm-data", tmp_path / "vm.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium (tests/browser.py), closed after the test."""
    async with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def pg_admin() -> Iterator[str]:
    """A PostgreSQL server for the module's tests (skipped where none can run)."""
    reason = postgres.missing_reason()
    if reason:
        pytest.skip(reason)
    with postgres.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ledger's database: the test runs once on SQLite and once on a fresh PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return postgres.fresh_database(request.getfixturevalue("pg_admin"))


# A test that starts a real part (broker, time-series server, database server) through one of
# these fixtures is an integration test wherever it lives: the tree mirrors the source tree,
# the marker says the kind (`pytest -m "not integration"` is the quick run). Tests that start
# a stack or a browser themselves carry `pytestmark = pytest.mark.integration`.
_REAL_PARTS = frozenset(
    {"mosquitto", "tansu", "kafka", "victoria", "tls_kafka", "pg_admin", "stack", "make_bridge"}
)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL_PARTS.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
