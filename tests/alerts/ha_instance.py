"""One dispatch instance of the high-availability test, in a process of its own so the test
can SIGKILL it: `python -m tests.alerts.ha_instance '<json spec>'`.

It logs to stdout (the test reads its partition assignments there) and runs until killed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from pydantic import SecretStr

from alerts.config import DispatchConfig
from alerts.escalation import EscalationPolicy, Step, Tier, Until
from alerts.notify.base import RecordingChannel
from alerts.registry import EXAMPLE_DIR
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection

# DOMAIN.md §2's ladder shape with the no-acknowledgement step at 20 s: long enough for the
# group to notice a killed member (6 s session) and hand its compounds over before it is due.
NO_ACK_S = 20.0
HA_P1 = (
    Step(step_id="p1-page", after_s=0, tiers=(Tier.ON_DUTY, Tier.CONTROL_ROOM)),
    Step(
        step_id="p1-no-ack",
        after_s=NO_ACK_S,
        unless=Until.ACKNOWLEDGED,
        tiers=(Tier.BACKUP, Tier.CHIEF),
    ),
)
SESSION_TIMEOUT_MS = 6000


async def run(spec: dict[str, Any]) -> None:
    config = DispatchConfig(
        registry_dir=EXAMPLE_DIR,
        database_url=SecretStr(spec["database_url"]),
        console_port=0,
        escalation=EscalationPolicy(p1=HA_P1),
        consumer_group=spec["group"],
    )
    kafka = KafkaConnection(
        bootstrap=spec["bootstrap"],
        flavour=KafkaFlavour.TANSU,
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )
    service = build_dispatch_service(
        config,
        kafka,
        MqttConnection(port=spec["mqtt_port"]),
        # Members are reached by SMS (recorded): only terminal pages leave the process.
        extra_channels={ContactChannel.SMS: RecordingChannel()},
        instance_id=spec["instance"],
    )
    await service.start()
    await asyncio.Event().wait()  # until SIGKILL (or SIGTERM from the test's cleanup)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    asyncio.run(run(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
