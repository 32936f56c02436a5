"""User errors and the exit codes of every command (the README's table; keep them in step).

A user error is one line on stderr (`firewatch: <what>`) and one of these codes; a traceback
only with `--debug`. Anything else is a bug: exit 70 with a one-line hint to rerun with --debug.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    # The command ran and its verdict is "no": eval failed, audit found tampering, schemas stale,
    # a service stopped because one of its parts failed.
    FAILED = 1
    # The command line or the configuration is wrong (unknown flag, bad value, missing setting).
    USAGE = 2
    # An input is missing, unreadable, corrupt or truncated (named with its line number), an
    # unknown scenario or data set, a ledger that does not exist.
    INPUT = 3
    # A broker or database did not answer (named host:port).
    UNREACHABLE = 4
    # Not the user's fault: a bug. The message asks for `--debug` and the traceback.
    INTERNAL = 70
    # Ctrl-C (128 + SIGINT, the shell convention).
    INTERRUPTED = 130


class UserError(Exception):
    """An error the user can fix; `str()` is the whole message, one line."""

    exit_code: Exit = Exit.USAGE


class UsageError(UserError):
    exit_code = Exit.USAGE


class InputError(UserError):
    exit_code = Exit.INPUT


class Unreachable(UserError):
    exit_code = Exit.UNREACHABLE


class Failed(UserError):
    """The command's check failed; the message is the verdict."""

    exit_code = Exit.FAILED
