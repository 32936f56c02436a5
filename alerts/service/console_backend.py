"""What the duty console may reach (alerts.console.server.Backend): the registry, the ladder,
the hub, the open incidents and one way to act. The dispatcher never calls the console: each
change reaches it once, as a console event the shell publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from alerts.escalation import EscalationPolicy
from alerts.lifecycle import ActionRequest, Incident
from alerts.maintenance import WorkOrder, WorkOrderAction
from alerts.notify.hub import ConsoleHub
from alerts.registry.registry import Registry

Act = Callable[[ActionRequest], Awaitable[Incident]]
WorkOrderAct = Callable[[str, WorkOrderAction, str], Awaitable[WorkOrder]]


class ConsoleBackend:
    def __init__(
        self,
        registry: Registry,
        policy: EscalationPolicy,
        hub: ConsoleHub,
        incidents: Callable[[], list[Incident]],
        act: Act,
        *,
        work_orders: Callable[[], list[WorkOrder]],
        act_on_work_order: WorkOrderAct,
    ) -> None:
        self.registry, self.policy, self.hub = registry, policy, hub
        self._incidents, self._act = incidents, act
        self._work_orders, self._act_on_work_order = work_orders, act_on_work_order

    def open_incidents(self) -> list[Incident]:
        return self._incidents()

    async def act(self, req: ActionRequest) -> Incident:
        return await self._act(req)

    def work_orders(self) -> list[WorkOrder]:
        return self._work_orders()

    async def act_on_work_order(
        self, order_id: str, action: WorkOrderAction, actor: str
    ) -> WorkOrder:
        return await self._act_on_work_order(order_id, action, actor)
