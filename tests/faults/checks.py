"""The matrix's assertions, the same for every case: sent = acknowledged = in Kafka, the
expected alert reached dispatch as one incident, and nobody was paged twice."""

from __future__ import annotations

from tests.faults.load import Case
from tests.faults.rig import Rig
from tests.polling import wait_for

KAFKA_S = 120.0
DISPATCH_S = 120.0


async def all_in_kafka(rig: Rig, *cases: Case) -> None:
    """Every reading a gateway had acknowledged is on Kafka (gaps repaired if any)."""
    assert rig.pool is not None
    assert rig.kafka is not None
    await rig.pool.drain(KAFKA_S)
    assert rig.pool.acked == rig.pool.published + rig.pool.resent  # acknowledged = sent
    view = rig.kafka
    for case in cases:
        await wait_for(
            lambda c=case: view.has_all(c.expected),  # type: ignore[misc]  # binds the loop's case
            KAFKA_S,
            what=f"{case.name}: all {case.sent} readings on Kafka",
        )


async def paged_once(rig: Rig, case: Case) -> list[str]:
    """The case's alarm became one dispatch incident whose pages each arrived once."""
    incidents = await wait_for(
        lambda: rig.incidents_of(case.alarm_device), DISPATCH_S, what=f"{case.name}: incident"
    )
    assert len(incidents) == 1, incidents
    await wait_for(
        lambda: rig.webhook.pages_of(incidents), DISPATCH_S, what=f"{case.name}: first pages"
    )
    assert rig.webhook.twice() == []
    return list(incidents)
