"""Shared fixtures: real brokers on free loopback ports, started fresh for the tests that ask.

When a broker cannot be started here the test is skipped with the reason, except under CI
(`CI=true`), where a missing broker is a failure: CI installs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics

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
