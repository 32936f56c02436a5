"""Fixtures of the dispatch unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.clock import FakeClock

from .rig import DAY, Rig, build_rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = build_rig(f"sqlite:///{tmp_path}/ledger.db", FakeClock(DAY))
    yield r
    r.ledger.db.close()
