"""Dispatch's readiness (runtime.health): ready when pages and commands can go out and the
ledger records them, not merely when the process runs (issue 14.3).

- kafka.alerts.assigned / kafka.readback.assigned: each consumer group has its partitions
  (set by the consume loops; Tansu holds a join for half the session timeout).
- mqtt.connected: the session terminal pages and device commands go out on.
- ledger.reachable: a round trip to the ledger database within the last probe, made under
  the ledger's lock in a worker thread (never on the HTTP thread, which only reads flags);
  a PostgreSQL connection the server dropped is replaced there, a SQLite file is opened
  afresh (alerts/ledger/db.py `Database.ping`).
- kafka.reachable: added by `firewatch dispatch` (runtime/health_kafka.py): the consumers keep
  their assignment while a cluster is frozen, so only a round trip sees it.
"""

from __future__ import annotations

import asyncio
import logging

from alerts.ledger import Ledger
from alerts.service.mqtt_link import MqttLink
from runtime.health import Flag, Health

log = logging.getLogger(__name__)


class Readiness:
    def __init__(self, health: Health, mqtt: MqttLink) -> None:
        self.health = health
        self.alerts_assigned = health.ready_flag("kafka.alerts.assigned")
        self.readback_assigned = health.ready_flag("kafka.readback.assigned")
        health.add_ready("mqtt.connected", lambda: mqtt.is_connected)
        self.ledger_reachable = health.ready_flag("ledger.reachable")

    @staticmethod
    def follow(flag: Flag, is_now: bool) -> None:
        if is_now:
            flag.set()
        else:
            flag.clear()

    async def probe_ledger(self, ledger: Ledger) -> bool:
        """One round trip; the flag follows it. A failure is logged once per outage."""
        try:
            await asyncio.to_thread(ledger.ping)
        except Exception as exc:  # any driver error means "not reachable": report, keep going
            if self.ledger_reachable():
                log.error("ledger unreachable: %s", exc)
            self.ledger_reachable.clear()
            return False
        self.ledger_reachable.set()
        return True

    @property
    def is_ready(self) -> bool:
        return self.health.readiness().ok
