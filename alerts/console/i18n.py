"""Message catalogues of the duty console, one JSON file per language under `messages/`.

The same files are served to the page (`/api/messages/{lang}`), so the server's words (errors,
place names in exports) and the page's come from one source. zh-CN is the default: the people
on duty are Chinese micro-fire-station members (issue 11). Placeholders are `{name}`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

MESSAGES_DIR = Path(__file__).parent / "messages"
DEFAULT_LANG = "zh-CN"
LANGS = ("zh-CN", "en")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of a supported language (unknown languages get the default)."""
    name = lang if lang in LANGS else DEFAULT_LANG
    data: dict[str, str] = json.loads((MESSAGES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def text(lang: str, key: str, **params: object) -> str:
    """The message `key` with its placeholders filled; a missing key reads as the key itself,
    so a gap shows on the page instead of an empty label (the catalogue test finds it)."""
    template = catalogue(lang).get(key, key)
    return _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)


def negotiate(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header; zh-CN when none matches."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANG
