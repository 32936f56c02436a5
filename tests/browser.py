"""A real headless Chromium (Debian's package, driven by Playwright) for the browser tests: the
duty console's and the resident's pages. One launch recipe, so every browser test meets the
same Chromium; the `browser` fixture in tests/conftest.py yields it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).exists()
# Headless in a container (root, no GPU), and nothing fetched from the internet behind the
# test's back (loopback only: COMMON standards).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A launched Chromium, closed on exit; the test is skipped where none can run."""
    playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
    if not HAS_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()
