"""The read side of the photo store the public side writes (content-addressed JPEGs,
`events.reports.photo_relpath`): rectification steps may name only photos that are there."""

from __future__ import annotations

from pathlib import Path

from events.reports import photo_relpath


class PhotoShelf:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, photo_id: str) -> Path | None:
        try:
            path = self.root / photo_relpath(photo_id)
        except ValueError:
            return None
        return path if path.is_file() else None

    def has(self, photo_id: str) -> bool:
        return self.path(photo_id) is not None
