"""What the duty console may reach (alerts.console.server.Backend): the registry, the ladder,
the hub, the open incidents and one way to act. The dispatcher never calls the console: each
change reaches it once, as a console event the shell publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from alerts.escalation import EscalationPolicy
from alerts.lifecycle import Action, Incident, Outcome
from alerts.notify.hub import ConsoleHub
from alerts.registry.registry import Registry

Act = Callable[[str, Action, str, str, Outcome | None, str | None], Awaitable[Incident]]


class ConsoleBackend:
    def __init__(
        self,
        registry: Registry,
        policy: EscalationPolicy,
        hub: ConsoleHub,
        incidents: Callable[[], list[Incident]],
        act: Act,
    ) -> None:
        self.registry, self.policy, self.hub = registry, policy, hub
        self._incidents, self._act = incidents, act

    def open_incidents(self) -> list[Incident]:
        return self._incidents()

    async def act(  # noqa: PLR0917 - the console Backend protocol
        self,
        key: str,
        action: Action,
        actor: str,
        source: str,
        outcome: Outcome | None,
        cause: str | None,
    ) -> Incident:
        return await self._act(key, action, actor, source, outcome, cause)
