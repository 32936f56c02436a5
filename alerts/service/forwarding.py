"""A console action on an incident another dispatch instance owns (issue 16.4): checked here,
applied there.

The serving instance checks the action against its copy of the incident (a refused transition
answers at once), writes it to fw.actions.v1 keyed by compound (events/actions.py), and
waits until the ledger records it: the owner applies it as its own console's action, under its
step lock, so the incident never has two writers. No answer within the deadline is an error
the console shows; the ladder keeps running meanwhile (nothing is acknowledged by mistake).
"""

from __future__ import annotations

import asyncio
import copy
import uuid

from aiokafka import AIOKafkaProducer

from alerts.errors import TransitionError
from alerts.ledger import Ledger
from alerts.lifecycle import Action, ActionRequest, Incident, Outcome
from events.actions import ConsoleAction
from events.codec import encode_model, kafka_headers
from events.topics import Topics
from runtime.clock import Clock

ANSWER_TIMEOUT_S = 5.0
_POLL_S = 0.1


def request_of(asked: ConsoleAction) -> ActionRequest:
    """The owner's side: the action as its own console would have asked for it (ValueError
    for an action or outcome this release does not know)."""
    outcome = Outcome(asked.outcome) if asked.outcome else None
    return ActionRequest(
        asked.incident_key, Action(asked.action), asked.actor, asked.source, outcome, asked.cause
    )


class ActionForwarder:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        ledger: Ledger,
        clock: Clock,
        instance_id: str,
        timeout_s: float = ANSWER_TIMEOUT_S,
    ) -> None:
        self._producer, self._ledger, self._clock = producer, ledger, clock
        self._instance, self._timeout_s = instance_id, timeout_s

    async def forward(self, inc: Incident, req: ActionRequest) -> Incident:
        """The incident as the owner left it after applying the action; TransitionError when
        the lifecycle refuses it or the owner did not answer in time."""
        now = self._clock.now()
        action, outcome = req.action, req.outcome
        # Refused here already when the lifecycle would refuse it there (a 409 at once).
        copy.deepcopy(inc).apply(
            action, actor=req.actor, at=now, source=req.source, outcome=outcome, cause=req.cause
        )
        key = inc.incident_key
        seen = len(await asyncio.to_thread(self._ledger.transitions, key))
        request = ConsoleAction(
            request_id=uuid.uuid4().hex,
            incident_key=key,
            compound_id=inc.compound_id,
            action=action.value,
            actor=req.actor,
            source=f"{req.source} via {self._instance}",
            outcome=outcome.value if outcome else None,
            cause=req.cause,
            requested_at=now,
        )
        await self._producer.send_and_wait(
            Topics.ACTIONS,
            encode_model(request),
            key=inc.compound_id.encode(),
            headers=kafka_headers("console_action", request.request_id, "dispatch"),
        )
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._applied(request, seen)
        except TimeoutError:
            raise TransitionError(
                f"{key}: the dispatch instance serving {inc.compound_id} did not apply"
                f" {action.value} within {self._timeout_s:.0f} s"
            ) from None

    async def _applied(self, request: ConsoleAction, seen: int) -> Incident:
        key = request.incident_key
        while True:
            rows = await asyncio.to_thread(self._ledger.transitions, key)
            # (action, from, to, actor, at, source, detail), oldest first
            if any(
                (r[0], r[3], r[5]) == (request.action, request.actor, request.source)
                for r in rows[seen:]
            ):
                inc = await asyncio.to_thread(self._ledger.incident, key)
                if inc is not None:
                    return inc
            await asyncio.sleep(_POLL_S)
