"""Supported version ranges of the compat modules: plain releases compared as numbers."""

from __future__ import annotations

import pytest

from runtime.versions import outside, release


def test_releases_compare_as_numbers_not_text() -> None:
    assert release("0.15.10") > release("0.15.9")
    assert release("2.2.0rc1") == (2, 2, 0)
    with pytest.raises(ValueError, match="not a release"):
        release("dev")


def test_a_package_outside_its_range_is_named_with_its_version() -> None:
    assert outside({"pytest": ("0", "10000")}) == {}
    found = outside({"pytest": ("10000", "10001")})
    assert list(found) == ["pytest"]
    assert release(found["pytest"]) < (10000,)
