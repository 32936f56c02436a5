"""The stack's Python services start with the allocator bound (issue #17.4), unless the
operator set their own; the periodic trim stays opt-in."""

from __future__ import annotations

import pytest

from firewatch.embedded.process import python_service_env


def test_services_get_two_malloc_arenas_no_trim_and_keep_their_own_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("FIREWATCH_MALLOC_TRIM_S", raising=False)
    env = python_service_env({"FIREWATCH_KAFKA__FLAVOUR": "tansu"})
    assert env == {"MALLOC_ARENA_MAX": "2", "FIREWATCH_KAFKA__FLAVOUR": "tansu"}


def test_an_operators_own_arena_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    env = python_service_env()
    assert "MALLOC_ARENA_MAX" not in env  # inherited from os.environ as is
