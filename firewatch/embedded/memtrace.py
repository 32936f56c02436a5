"""Opt-in allocation trace for a soak (issue #17.4): what grows inside a Python process.

`FIREWATCH_MEMTRACE_S=N` (and `FIREWATCH_MEMTRACE_DIR`, default the working directory) makes
the process start tracemalloc and, every N seconds, write the allocation sites that grew most
to `memtrace-<pid>.txt`: against the snapshot taken `FIREWATCH_MEMTRACE_FROM_S` after start
(default: one period), so what grows after the warm-up, not the imports; with the traced
total beside the resident size: traced growth that matches RSS growth is Python objects;
RSS growing past it is the allocator (glibc arenas) or a C library's cache; glibc's own
count beside it (in use / freed but held) tells which. `FIREWATCH_MEMTRACE_ONLY=worker,dispatch`
traces only the commands named (a soak's simulator would otherwise be traced too, and fall
behind). Off by default: tracing costs CPU.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import tracemalloc
from pathlib import Path

from firewatch.embedded.glibc_heap import heap_info

ENV_PERIOD = "FIREWATCH_MEMTRACE_S"
ENV_DIR = "FIREWATCH_MEMTRACE_DIR"
ENV_FROM = "FIREWATCH_MEMTRACE_FROM_S"  # the snapshot later ones are compared with
ENV_ONLY = "FIREWATCH_MEMTRACE_ONLY"  # comma-separated commands; empty: every process
# "0": no tracemalloc, only the sizes (resident, glibc's, Python's allocated blocks): costs
# nothing, so a soak's own figures stay those of an untraced process.
ENV_TRACE = "FIREWATCH_MEMTRACE_TRACE"
TOP = 25  # sites per report: enough to see a cause, short enough to read


def start_if_asked() -> bool:
    period = float(os.environ.get(ENV_PERIOD) or 0)
    if period <= 0 or not _is_traced_command(sys.argv[1:]):
        return False
    out = Path(os.environ.get(ENV_DIR) or ".") / f"memtrace-{os.getpid()}.txt"
    if os.environ.get(ENV_TRACE, "1") != "0":
        tracemalloc.start(4)  # 4 frames: the caller of a container's append, not the append
    base_s = float(os.environ.get(ENV_FROM) or period)
    thread = threading.Thread(target=_report_every, args=(base_s, period, out), daemon=True)
    thread.start()
    return True


def _is_traced_command(argv: list[str]) -> bool:
    only = {c.strip() for c in (os.environ.get(ENV_ONLY) or "").split(",") if c.strip()}
    return not only or bool(only.intersection(argv))


def _report_every(base_s: float, period: float, out: Path) -> None:
    started = time.monotonic()
    time.sleep(base_s)
    first = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
    while True:
        time.sleep(period)
        snap = tracemalloc.take_snapshot() if first is not None else None
        with out.open("a", encoding="utf-8") as f:
            f.write(_report(first, snap, time.monotonic() - started))


def _report(
    first: tracemalloc.Snapshot | None, snap: tracemalloc.Snapshot | None, at_s: float
) -> str:
    traced, _peak = tracemalloc.get_traced_memory()
    rss = _status_mb()
    head = f"== {at_s:.0f} s: traced {traced / 2**20:.1f} MB, rss {rss.get('VmRSS', 0):.1f} MB"
    head += f" (anon {rss.get('RssAnon', 0):.1f}, file {rss.get('RssFile', 0):.1f})"
    # Python's live blocks (pymalloc's and larger): flat while the resident size grows
    # means the growth is not Python objects.
    head += f", python blocks {sys.getallocatedblocks()}"
    heap = heap_info()
    if heap is not None:
        head += (
            f", malloc in use {heap.in_use_mb:.1f} MB, freed but held {heap.free_held_mb:.1f} MB"
            f", mmapped {heap.mmapped_mb:.1f} MB"
        )
    lines = [head]
    if first is None or snap is None:
        return head + "\n"
    for stat in snap.compare_to(first, "traceback")[:TOP]:
        where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback)
        lines.append(f"{stat.size_diff / 1024:+10.0f} KiB {stat.count_diff:+8d} {where}")
    return "\n".join(lines) + "\n"


def _status_mb() -> dict[str, float]:
    """Resident size, and its anonymous (heap, arenas) and file-backed (code) parts, in MB."""
    text = Path("/proc/self/status").read_text()
    found = re.findall(r"^(VmRSS|RssAnon|RssFile):\s+(\d+)", text, re.M)
    return {name: int(kb) / 1024 for name, kb in found}
