"""glibc's malloc, seen from Python: what it holds (mallinfo2) and giving free pages back
(malloc_trim). Both are no-ops (None / False) off glibc: musl, macOS.

Why this exists (issue #17.4, docs/PERFORMANCE.md "Memory over time"): a service's resident
size can grow while its Python heap does not, when glibc keeps freed memory in its arenas
instead of returning it to the kernel. `mallinfo2` tells the two apart; `malloc_trim(0)`
returns every whole free page of every arena (glibc >= 2.8 also inside the heap, not only
at its top), which Dask's workers do for the same "unmanaged memory".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from dataclasses import dataclass
from functools import cache


class _MallInfo2(ctypes.Structure):
    # glibc >= 2.33, malloc.h: ten size_t fields (mallinfo's ints wrap past 2 GiB).
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",  # bytes from sbrk (the main arena)
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",  # bytes in mmap'd blocks (large allocations)
            "usmblks",
            "fsmblks",
            "uordblks",  # bytes in use
            "fordblks",  # bytes free but held by malloc
            "keepcost",  # releasable at the top of the main heap
        )
    ]


@dataclass(frozen=True)
class HeapInfo:
    in_use_mb: float  # what the program holds through malloc (Python's arenas are mmap'd)
    free_held_mb: float  # freed, kept by glibc: resident only where touched
    mmapped_mb: float


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):  # not glibc, or glibc < 2.33
        return None
    return libc


def heap_info() -> HeapInfo | None:
    libc = _libc()
    if libc is None:
        return None
    info = libc.mallinfo2()
    return HeapInfo(
        in_use_mb=info.uordblks / 2**20,
        free_held_mb=info.fordblks / 2**20,
        mmapped_mb=info.hblkhd / 2**20,
    )


def trim() -> bool:
    """Give every whole free page glibc holds back to the kernel; True when any was."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


ENV_TRIM_S = "FIREWATCH_MALLOC_TRIM_S"  # seconds between trims; 0 or unset: none


def start_trimmer_if_asked() -> bool:
    """With `FIREWATCH_MALLOC_TRIM_S=N` on glibc: `malloc_trim(0)` every N seconds in a
    daemon thread (ctypes releases the GIL for the call; it takes each arena's lock for a
    few milliseconds). The embedded stack sets it for its Python services
    (firewatch/embedded/process.py)."""
    period = float(os.environ.get(ENV_TRIM_S) or 0)
    if period <= 0 or _libc() is None:
        return False
    threading.Thread(target=_trim_every, args=(period,), name="malloc-trim", daemon=True).start()
    return True


def _trim_every(period: float) -> None:
    while True:
        time.sleep(period)
        trim()
