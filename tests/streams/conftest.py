"""Fixtures shared by the stream worker's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from firewatch.embedded.process import ManagedProcess


@pytest.fixture
def processes() -> Iterator[list[ManagedProcess]]:
    """Worker processes a test starts: stopped when it ends, whatever happened."""
    started: list[ManagedProcess] = []
    yield started
    for proc in started:
        proc.stop()
