"""Errors of the embedded stack, each one line a user can act on.

StackError            a part of the stack is not what or where it should be
└── PortInUse         something already listens where a part of ours was to listen
"""

from __future__ import annotations


class StackError(RuntimeError):
    """A part of the embedded stack is not what or where it should be."""


class PortInUse(StackError):
    """Something already listens where a broker or service of ours was to listen."""

    def __init__(self, what: str, host: str, port: int) -> None:
        super().__init__(
            f"{what} port {port} on {host} is already in use (another stack or broker?):"
            " stop it or choose another port"
        )
        self.port = port
