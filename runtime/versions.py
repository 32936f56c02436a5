"""Which installed packages fall outside the version range a compat module was checked for.

A compat module (streams/faust_compat.py, ingest/paho_compat.py) leans on private API; it
names the range it supports, and its test fails when the installed version leaves it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import version

SupportedRange = tuple[str, str]
"""(lowest supported, first unsupported) release, e.g. ("2.1", "3")."""


def release(text: str) -> tuple[int, ...]:
    """The numeric release of a version string: "0.15.3" -> (0, 15, 3); "2.2.0rc1" ->
    (2, 2, 0); enough for ranges of plain releases (no packaging dependency at run time)."""
    match = re.match(r"\d+(?:\.\d+)*", text)
    if match is None:
        raise ValueError(f"not a release version: {text!r}")
    return tuple(int(part) for part in match.group().split("."))


def outside(ranges: Mapping[str, SupportedRange]) -> dict[str, str]:
    """Package -> installed version, for each package outside its supported range."""
    found = {name: version(name) for name in ranges}
    return {
        name: v
        for name, v in found.items()
        if not release(ranges[name][0]) <= release(v) < release(ranges[name][1])
    }
