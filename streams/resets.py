"""Incident resets: a person's resolution in dispatch clears the detector's latched incident.

P1 incidents latch until a person resets them (issue 4): dispatch publishes every lifecycle
transition on Topics.INCIDENTS (events.incidents.IncidentTransition, keyed by compound). The
incident lives in the state of one stage on one worker: a device's in the stage keyed by that
device (readings, priority or sequence), an area's in the compound stage. With several
workers, the worker reading a compound's transitions is seldom the one holding its devices'
state, so the forwarder sends each resolution to an internal reset topic per stage,
partitioned exactly like that stage's topic (by device, or by compound): Faust assigns
co-partitioned topics together, so the reset reaches the worker that holds the incident, which
clears it and publishes one CLEARED revision. Other transitions are not the worker's business;
a stage that does not hold the incident ignores it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from events.errors import ContractViolation
from events.incidents import IncidentTransition
from events.topics import Topics
from runtime.clock import Clock
from runtime.partitioner import partition_for
from streams import codec, metrics
from streams.config import StreamsConfig
from streams.incidents import is_resolution, subject_of
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.table_store import Sender


@dataclass(frozen=True)
class ResetStage:
    """A stage that may hold incidents: its processor, and whether it is keyed by device
    (else by compound); the reset topic gets as many partitions as the processor's stage."""

    proc: DeviceProcessor | CompoundProcessor
    is_keyed_by_device: bool

    def key_of(self, t: IncidentTransition) -> str:
        return subject_of(t.alert_key) if self.is_keyed_by_device else t.compound_id


def reset_topic_name(app_id: str, stage: str) -> str:
    return f"{app_id}-resets-{stage}"


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
                t = IncidentTransition.model_validate_json(payload)
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
            if not is_resolution(t):
                continue
            delivered = []
            for name, stage in stages.items():
                key = stage.key_of(t)
                partition = partition_for(key, stage.proc.partitions)
                topic = topics[name].get_topic_name()
                delivered.append(
                    await sender.send(topic, key.encode(), payload, partition=partition)
                )
            # Delivered before this transition's offset can be committed (the producer is
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
            t = IncidentTransition.model_validate_json(payload)  # validated by the forwarder
            emitted = Emitted()
            stage.proc.reset(t.alert_key, t.incident_key, t.at.timestamp(), emitted)
            await publish(emitted)

    return app.agent(topic, name=f"resets-{name}")(reset)
