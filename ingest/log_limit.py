"""Log lines that cannot be multiplied by a flood: at most one per interval and kind.

A flood of one bad input used to write two tracebacks per message (2.6 KB each, issue 19).
The first occurrence in an interval is logged in full; the rest are counted and named in the
next line. Time is injected (`monotonic`) so tests need no sleeping.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable


class LogLimiter:
    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        interval_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.what, self.interval_s, self.monotonic = (
            logger,
            what,
            interval_s,
            monotonic,
        )
        self._last: dict[str, float] = {}
        self.suppressed: Counter[str] = Counter()

    def _is_due(self, kind: str) -> bool:
        now = self.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval_s:
            self.suppressed[kind] += 1
            return False
        self._last[kind] = now
        return True

    def _more(self, kind: str) -> str:
        more = self.suppressed.pop(kind, 0)
        return f" (and {more} more like it in the last {self.interval_s:.0f} s)" if more else ""

    def exception(self, where: str, exc: BaseException) -> None:
        """A bug on one message: its traceback once per interval and exception type."""
        kind = type(exc).__name__
        if self._is_due(kind):
            self.logger.error("%s on %s%s", self.what, where, self._more(kind), exc_info=exc)

    def warning(self, kind: str, message: str) -> None:
        """One line per interval and kind (a dead-letter reason, ...), no traceback."""
        if self._is_due(kind):
            self.logger.warning("%s: %s%s", self.what, message, self._more(kind))
