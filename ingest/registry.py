"""The device registry: a file of known device ids, one per line ('#' starts a comment).

Gateway ids belong in it too: a gateway's status message names the gateway as its device.
"""

from __future__ import annotations

from pathlib import Path


def parse_registry(text: str) -> frozenset[str]:
    ids = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(i for i in ids if i)


def load_registry(path: Path) -> frozenset[str]:
    return parse_registry(path.read_text(encoding="utf-8"))
