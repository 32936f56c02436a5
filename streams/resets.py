"""The agent over dispatch's incident transitions: a person's resolution resets the incident.

P1 incidents latch until a person resets them (issue 4): dispatch publishes every lifecycle
transition on Topics.INCIDENTS (events.incidents.IncidentTransition, keyed by compound); a
resolution clears the matching detector incident (`alert_key`) in whichever stage holds it and
publishes its CLEARED revision. Other transitions are not the worker's business.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from events.errors import ContractViolation
from events.incidents import IncidentTransition
from events.topics import Topics
from streams import codec, metrics
from streams.clock import Clock
from streams.config import StreamsConfig
from streams.incidents import is_resolution
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.table_store import Sender


def reset_agent(
    app: Any,
    cfg: StreamsConfig,
    procs: Sequence[DeviceProcessor | CompoundProcessor],
    *,
    publish: Callable[[Emitted], Awaitable[None]],
    clock: Clock,
    sender: Sender,
) -> Any:
    topic = app.topic(Topics.INCIDENTS, internal=False)
    counter = metrics.EVENTS.labels(Topics.INCIDENTS)

    async def agent(stream: Any) -> None:
        async for event in stream.events():
            payload: bytes = event.value
            emitted = Emitted()
            try:
                t = IncidentTransition.model_validate_json(payload)
            except (ContractViolation, ValueError) as err:  # pydantic's ValidationError too
                msg = event.message
                where = f"kafka:{msg.topic}/{msg.partition}@{msg.offset}"
                now = datetime.fromtimestamp(clock.now_s(), tz=UTC)
                await sender.send(
                    Topics.DEAD_LETTER,
                    where.encode(),
                    codec.dead_letter(err, payload, where, cfg.app_id, now),
                )
                metrics.DEAD_LETTERS.labels(Topics.INCIDENTS).inc()
                continue
            counter.inc()
            if is_resolution(t):
                for proc in procs:
                    proc.reset(t.alert_key, t.incident_key, t.at.timestamp(), emitted)
            await publish(emitted)

    return app.agent(topic, name="incident-resets")(agent)
