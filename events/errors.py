"""Errors of the wire contract.

    FirewatchError
    ├── TopicError           an MQTT topic that is not in the scheme
    └── ContractViolation    a payload that breaks the contract; carries a DeadLetterReason

Every ContractViolation names a reason code (for counters and dead-letter records) and a
readable message (for the engineer reading the dead-letter topic). None of them is retriable:
the same bytes fail the same way every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from events.deadletter import DeadLetterReason


class FirewatchError(Exception):
    """Base of every error this project raises on purpose."""

    retriable: bool = False


class ContractViolation(FirewatchError):
    """A message that breaks the wire contract; bad data, not a bug."""

    def __init__(
        self,
        reason: DeadLetterReason,
        message: str,
        *,
        field: str | None = None,
        value: float | None = None,
    ) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message
        # The offending field and number of an out-of-range value, when there is one.
        self.field = field
        self.value = value


class TopicError(ContractViolation):
    """An MQTT topic outside the scheme `fw/v1/{compound}/{gateway}/...`."""
