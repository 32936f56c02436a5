"""Named health checks of one process: what `/healthz` (alive) and `/readyz` (ready) report.

Each service registers the checks that make it ready (broker connected, subscribed, consumer
group joined, tables recovered, ...); `/readyz` is 200 only when every one passes, and a 503
names the failing ones, so a probe failure says what to look at. Checks run on the HTTP
server's thread: they must be cheap reads of state the service keeps (a flag, a counter, a
timestamp), never I/O. A check that raises counts as failing, with the exception named.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Check = Callable[[], bool]


class Flag:
    """A check the service sets and clears itself (connected, subscribed, ...). Thread-safe:
    set on the event loop, read by the HTTP thread."""

    def __init__(self, is_set: bool = False) -> None:
        self._event = threading.Event()
        if is_set:
            self._event.set()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def __call__(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of every check at one moment; `failing` in registration order."""

    checks: dict[str, bool]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, passed in self.checks.items() if not passed]

    def to_json(self) -> bytes:
        body: dict[str, object] = {
            "status": "ok" if self.ok else "failing",
            "failing": self.failing,
            "checks": self.checks,
        }
        if self.errors:
            body["errors"] = self.errors
        return json.dumps(body, sort_keys=True).encode() + b"\n"


class Health:
    """The checks of one process. Liveness with no check registered means "the process
    answers"; readiness with none registered is ready."""

    def __init__(self) -> None:
        self._live: dict[str, Check] = {}
        self._ready: dict[str, Check] = {}
        self._lock = threading.Lock()

    def add_live(self, name: str, check: Check) -> None:
        with self._lock:
            _add(self._live, name, check)

    def add_ready(self, name: str, check: Check) -> None:
        with self._lock:
            _add(self._ready, name, check)

    def ready_flag(self, name: str, *, is_set: bool = False) -> Flag:
        """A readiness check the caller flips: `flag.set()` / `flag.clear()`."""
        flag = Flag(is_set)
        self.add_ready(name, flag)
        return flag

    def liveness(self) -> Report:
        with self._lock:
            checks = dict(self._live)
        return _run(checks)

    def readiness(self) -> Report:
        with self._lock:
            checks = dict(self._ready)
        return _run(checks)


def _add(checks: dict[str, Check], name: str, check: Check) -> None:
    if name in checks:
        raise ValueError(f"health check {name!r} is registered already")
    checks[name] = check


def _run(checks: dict[str, Check]) -> Report:
    results: dict[str, bool] = {}
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = bool(check())
        except Exception as exc:  # a broken check is a failing check, never a dead server
            log.warning("health check %s raised %r", name, exc)
            results[name] = False
            errors[name] = repr(exc)
    return Report(results, errors)
