"""Child processes that die with their parent and stop cleanly: brokers and services."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from firewatch.embedded.errors import PortInUse

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to the child when the parent dies, even by SIGKILL, so
    # `firewatch up` never leaves orphan brokers behind.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Raise PortInUse when nothing of ours could listen on host:port.

    Checked before starting, because a child that fails to bind exits while the port still
    answers, and a port check alone would then take the other listener for ours (issue 14)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a listener would: a port whose old connections sit in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(what, host, port) from None
            raise


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {port} opened")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout_s} s")


# glibc gives each thread that allocates an arena of its own, up to 8 per core, and memory
# freed in one arena is not reused by another. A Python service's threads (paho's network
# loop, asyncio.to_thread for the ledger, aiokafka's and Faust's helpers) each filled one for
# the first 15-20 minutes of the soak, so its size grew long after its data stopped growing
# (issue #17.4, docs/PERFORMANCE.md "Memory over time"). Two arenas keep that bounded at no
# measurable CPU: these services hold the GIL for most allocations anyway.
# Within the arenas, glibc keeps what is freed and returns only the top of a heap: a trace
# of a 12-minute soak showed every service's malloc'd bytes in use flat (dispatch 82.3 ->
# 82.6 MB) while the bytes freed but held grew (dispatch 47 -> 59, the sink 55 -> 81 MB in
# 3 minutes): what is freed below blocks still in use stays resident, however long it is
# unused. A periodic `malloc_trim(0)` (firewatch/embedded/glibc_heap.py, opt-in with
# FIREWATCH_MALLOC_TRIM_S) bought nothing measurable in 10-minute soaks, and it takes each
# arena's lock while it walks the heap, a pause a P1's path need not risk: not set here.
# An operator's own settings win.
ALLOCATOR_ENV = {"MALLOC_ARENA_MAX": "2"}


def python_service_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a Python service of the stack starts with: the allocator bound, then
    the service's own variables."""
    bound = {k: v for k, v in ALLOCATOR_ENV.items() if k not in os.environ}
    return {**bound, **(env or {})}


class ManagedProcess:
    """One child process with a name, a log file, and a clean stop (TERM, then KILL)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> ManagedProcess:
        out: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self._log_file = self.log_path.open("ab")
            out = self._log_file
        self.proc = subprocess.Popen(
            self.argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(self.env or {})},
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            # Out of the terminal's process group: Ctrl-C reaches `firewatch up` alone, which
            # stops the services before the brokers they drain into (a Ctrl-C delivered to
            # every child at once stopped the brokers first, under the services' feet).
            start_new_session=True,
        )
        log.debug("started %s pid=%s: %s", self.name, self.proc.pid, " ".join(self.argv))
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} is not started"
        return self.proc.pid

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.is_running():
            os.kill(self.pid, sig)

    def pause(self) -> None:
        """SIGSTOP: the process stops answering but keeps its sockets (a frozen broker)."""
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)  # a stopped process cannot handle SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %s s: killing it", self.name, timeout_s)
                self.proc.kill()
                self.proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, for crash tests: no clean-up runs in the child."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
