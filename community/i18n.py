"""Messages in zh-CN (first) and English. Pages pick the language from `?lang=`, then the
`lang` cookie, then zh-CN: the duty staff and residents are Chinese, the switch is for others."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
_DIR = Path(__file__).parent / "messages"


@cache
def catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def pick(query: str | None, cookie: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang` (falling back to zh-CN, then to the key itself)."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANG).get(key) or key
    return text.format(**params) if params else text
