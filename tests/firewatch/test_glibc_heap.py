"""glibc's freed-but-held memory goes back to the kernel on a trim, and the stack's services
trim periodically (issue #17.4, docs/PERFORMANCE.md "Memory over time")."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from firewatch.embedded import glibc_heap
from firewatch.embedded.glibc_heap import heap_info, start_trimmer_if_asked, trim

pytestmark = pytest.mark.skipif(heap_info() is None, reason="glibc >= 2.33 only")


def _anon_mb() -> float:
    text = Path("/proc/self/status").read_text()
    found = re.search(r"^RssAnon:\s+(\d+)", text, re.M)
    assert found is not None
    return int(found.group(1)) / 1024


def test_a_trim_returns_the_free_pages_inside_a_fragmented_heap() -> None:
    # 1 KiB blocks go to malloc (pymalloc takes 512 bytes and less). Freeing every other
    # run of 64 leaves half the heap free in 64 KiB holes below blocks still in use, which
    # glibc keeps (it returns only the top of a heap by itself): the shape the services' RSS
    # grew by. Only whole free pages can go back, so the holes are runs, not single blocks.
    blocks = [bytearray(1024) for _ in range(80_000)]
    blocks = [b for i, b in enumerate(blocks) if (i // 64) % 2]
    held = heap_info()
    assert held is not None
    assert held.free_held_mb >= 30, held
    before = _anon_mb()
    trim()
    after = _anon_mb()
    assert before - after >= 20, (before, after, held)
    del blocks


def test_the_trimmer_runs_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(glibc_heap.ENV_TRIM_S, raising=False)
    assert start_trimmer_if_asked() is False
    monkeypatch.setenv(glibc_heap.ENV_TRIM_S, "3600")
    assert start_trimmer_if_asked() is True
    assert any(t.name == "malloc-trim" and t.daemon for t in threading.enumerate())
