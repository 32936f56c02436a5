"""What the dispatch shell sends out besides pages: commands and incident updates."""

from __future__ import annotations

from typing import Protocol

from events.commands import Command
from events.incidents import IncidentUpdate


class Outbox(Protocol):
    async def command(self, command: Command) -> None: ...

    async def update(self, update: IncidentUpdate) -> None: ...


class RecordingOutbox:
    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.updates: list[IncidentUpdate] = []

    async def command(self, command: Command) -> None:
        self.commands.append(command)

    async def update(self, update: IncidentUpdate) -> None:
        self.updates.append(update)
