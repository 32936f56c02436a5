"""Condition resets: a person's resolution of an incident clears every condition that joined it.

Fire-family P1 conditions latch until a person resets them (issue 4): dispatch publishes every
incident update on Topics.INCIDENTS (events.incidents.IncidentUpdate, keyed by compound), and a
resolution lists the incident's conditions. A condition lives in the state of one stage on one
worker: a device's in the stage keyed by that device (readings, priority or sequence), an
area's (and the compound rules' door and offline conditions) in the compound stage. With
several workers, the worker reading a compound's updates is seldom the one holding its
devices' state, so the forwarder sends one reset per condition to an internal reset topic per
stage, partitioned exactly like that stage's topic (by device, or by compound): Faust assigns
co-partitioned topics together, so the reset reaches the worker that holds the condition,
which clears it and publishes one CLEARED revision. Other updates are not the worker's
business; a stage that does not hold the condition ignores its reset.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from events.alerts import compound_of, subject_of
from events.errors import ContractViolation
from events.incidents import IncidentUpdate
from events.topics import Topics
from runtime.clock import Clock
from runtime.partitioner import partition_for
from streams import codec, metrics
from streams.config import StreamsConfig
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.table_store import Sender


@dataclass(frozen=True, slots=True)
class ConditionReset:
    """The internal reset record: one condition, the resolution that clears it, when."""

    condition_key: str
    resolution_id: str
    at_s: float

    def encode(self) -> bytes:
        return json.dumps([self.condition_key, self.resolution_id, self.at_s]).encode()

    @classmethod
    def decode(cls, payload: bytes) -> ConditionReset:
        key, resolution_id, at_s = json.loads(payload)
        return cls(str(key), str(resolution_id), float(at_s))


def resets_of(update: IncidentUpdate) -> list[ConditionReset]:
    """One reset per condition of a resolved incident; none for any other update."""
    if not update.is_resolution:
        return []
    at_s = update.at.timestamp()
    return [ConditionReset(c.condition_key, update.event_id, at_s) for c in update.conditions]


@dataclass(frozen=True)
class ResetStage:
    """A stage that may hold conditions: its processor, and whether it is keyed by device
    (else by compound); the reset topic gets as many partitions as the processor's stage."""

    proc: DeviceProcessor | CompoundProcessor
    is_keyed_by_device: bool

    def key_of(self, reset: ConditionReset) -> str | None:
        """The record key of the stage's own topic, or None when it cannot hold it."""
        if not self.is_keyed_by_device:
            return compound_of(reset.condition_key)
        subject = subject_of(reset.condition_key)
        return None if subject.startswith("area:") else subject


def reset_topic_name(app_id: str, stage: str) -> str:
    # "condition-resets": schema 2 records (ConditionReset); the v1 topics held transitions.
    return f"{app_id}-condition-resets-{stage}"


def reset_agents(
    app: Any,
    cfg: StreamsConfig,
    stages: Mapping[str, ResetStage],
    *,
    publish: Callable[[Emitted], Awaitable[None]],
    clock: Clock,
    sender: Sender,
) -> dict[str, Any]:
    """The forwarder over Topics.INCIDENTS and one reset agent per stage."""
    topics = {
        name: app.topic(
            reset_topic_name(cfg.app_id, name),
            partitions=stage.proc.partitions,
            internal=True,
            key_serializer="raw",
            value_serializer="raw",
        )
        for name, stage in stages.items()
    }
    agents = {"incidents": _forwarder(app, cfg, stages, topics, clock=clock, sender=sender)}
    for name, stage in stages.items():
        agents[f"resets-{name}"] = _stage_agent(app, name, stage, topics[name], publish=publish)
    return agents


def _forwarder(
    app: Any,
    cfg: StreamsConfig,
    stages: Mapping[str, ResetStage],
    topics: Mapping[str, Any],
    *,
    clock: Clock,
    sender: Sender,
) -> Any:
    counter = metrics.EVENTS.labels(Topics.INCIDENTS)

    async def forward(stream: Any) -> None:
        async for event in stream.events():
            payload: bytes = event.value
            try:
                update = IncidentUpdate.model_validate_json(payload)
            except (ContractViolation, ValueError) as err:  # pydantic's ValidationError too
                msg = event.message
                letter = codec.dead_letter(
                    err,
                    topic=msg.topic,
                    partition=msg.partition,
                    offset=msg.offset,
                    payload=payload,
                    producer=cfg.app_id,
                    now=clock.now(),
                )
                await sender.send_dead_letter(letter)
                metrics.DEAD_LETTERS.labels(Topics.INCIDENTS).inc()
                continue
            counter.inc()
            delivered = []
            for reset in resets_of(update):
                for name, stage in stages.items():
                    key = stage.key_of(reset)
                    if key is None:
                        continue
                    partition = partition_for(key, stage.proc.partitions)
                    topic = topics[name].get_topic_name()
                    delivered.append(
                        await sender.send(topic, key.encode(), reset.encode(), partition=partition)
                    )
            # Delivered before this update's offset can be committed (the producer is
            # flushed before a commit anyway; this keeps the order plain).
            for future in delivered:
                await future

    topic = app.topic(Topics.INCIDENTS, internal=False)
    return app.agent(topic, name="incident-resets")(forward)


def _stage_agent(
    app: Any,
    name: str,
    stage: ResetStage,
    topic: Any,
    *,
    publish: Callable[[Emitted], Awaitable[None]],
) -> Any:
    async def reset(stream: Any) -> None:
        async for payload in stream:
            reset = ConditionReset.decode(payload)  # written by the forwarder above
            emitted = Emitted()
            stage.proc.reset(reset.condition_key, reset.resolution_id, reset.at_s, emitted)
            await publish(emitted)

    return app.agent(topic, name=f"resets-{name}")(reset)
