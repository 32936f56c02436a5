"""Fixtures of the dispatch unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.clock import ManualClock

from .rig import DAY, Rig, build_rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = build_rig(f"sqlite:///{tmp_path}/ledger.db", ManualClock(DAY))
    yield r
    r.ledger.db.close()
