"""What the dispatcher sends out besides pages: commands, transitions, its own alerts."""

from __future__ import annotations

from typing import Protocol

from alerts.lifecycle import Incident, Transition
from events.alerts import Alert
from events.commands import Command


class Outbox(Protocol):
    async def command(self, command: Command) -> None: ...

    async def transition(self, incident: Incident, transition: Transition) -> None: ...

    async def alert(self, alert: Alert) -> None: ...


class RecordingOutbox:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.transitions: list[Transition] = []
        self.alerts: list[Alert] = []

    async def command(self, command: Command) -> None:
        self.commands.append(command)

    async def transition(self, incident: Incident, transition: Transition) -> None:
        self.transitions.append(transition)

    async def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)
