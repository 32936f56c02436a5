"""The fault rig: the embedded stack as `firewatch up` runs it (Mosquitto with its ACL and
persistence, Tansu, the bridge, a worker and dispatch as child processes), gateways that keep
and resend their readings (simulators.mqtt.pool), a webhook receiver that counts every page,
and a reader that sees what reached Kafka. Faults are done to the real processes: SIGKILL,
SIGTERM, SIGSTOP, a restart on the same port and data dir.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import sqlite3
from pathlib import Path

from alerts.ledger.sharing import CLAIM_PREFIX
from alerts.registry import EXAMPLE_DIR
from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics
from firewatch.stack import Endpoints, ServiceSpec, Stack, default_services
from simulators.mqtt.pool import GatewayPool
from tests.faults.kafka_view import KafkaView
from tests.faults.webhook import WebhookReceiver

STARTUP_S = 120.0  # a loaded 2-core machine starts Faust slowly; ready files say when


def fault_registry(tmp: Path, webhook_url: str) -> Path:
    """The example registry with every member paged by webhook instead of SMS: the pages
    the rig counts (the ledger keeps one row per page by construction, so it cannot show a
    page sent twice; the receiver can)."""
    registry = tmp / "registry"
    shutil.copytree(EXAMPLE_DIR, registry)
    stations = registry / "stations.yaml"
    text = re.sub(
        r'\{channel: sms, address: "[^"]*"\}',
        f'{{channel: webhook, address: "{webhook_url}"}}',
        stations.read_text(encoding="utf-8"),
    )
    stations.write_text(text, encoding="utf-8")
    return registry


class Rig:
    def __init__(self, tmp: Path, webhook: WebhookReceiver) -> None:
        self.tmp = tmp
        self.webhook = webhook
        env = {
            "worker": {"FIREWATCH_STREAMS__DATA_DIR": str(tmp / "faust")},
            "dispatch": {
                "FIREWATCH_DISPATCH__REGISTRY_DIR": str(fault_registry(tmp, webhook.url)),
                "FIREWATCH_DISPATCH__WEBHOOK_RETRIES": "1",
                "FIREWATCH_DISPATCH__WEBHOOK_BACKOFF_S": "0.05",
            },
        }
        specs = [
            dataclasses.replace(s, env={**s.env, **env.get(s.name, {})}) for s in default_services()
        ]
        # The bridge serves /metrics: the sustained-load case reads its counters there.
        self.bridge_metrics_port = free_port()
        specs = [
            _with_metrics(s, self.bridge_metrics_port) if s.name == "ingest" else s for s in specs
        ]
        self.specs = {s.name: s for s in specs}
        self.stack = Stack(tmp / "stack", services=specs)
        self.ends: Endpoints | None = None
        self.pool: GatewayPool | None = None
        self.kafka: KafkaView | None = None

    async def start(self) -> Rig:
        # Stack.start runs its own event loop (asyncio.run) and blocks: off this loop.
        self.ends = await asyncio.to_thread(self.stack.start, STARTUP_S)
        self.pool = GatewayPool(self.ends.gateway_connection(), client_prefix="fault-gw")
        self.kafka = await KafkaView(self.ends.kafka_bootstrap).start()
        return self

    async def stop(self) -> None:
        if self.kafka is not None:
            await self.kafka.stop()
        if self.pool is not None:
            await self.pool.close()
        await asyncio.to_thread(self.stack.stop)

    # --- services --------------------------------------------------------------------------

    def service(self, name: str) -> ManagedProcess:
        return self.stack.services[name]

    def restart_service(self, name: str) -> None:
        """Start a stopped (killed) service again, waiting for its ready file."""
        assert self.ends is not None
        self.stack.restart_service(self.specs[name], self.ends, STARTUP_S)

    def log_of(self, name: str) -> str:
        return (self.stack.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    # --- brokers ---------------------------------------------------------------------------

    @property
    def mosquitto(self) -> MosquittoBroker:
        assert self.stack.mosquitto is not None
        return self.stack.mosquitto

    def restart_mosquitto(self, *, kill: bool, forget_saved: bool = False) -> None:
        """SIGKILL (or SIGTERM: it saves on the way out) and start on the same port and data
        dir. `forget_saved`: the file is gone too, as after a crash before the first save."""
        old = self.mosquitto
        if kill:
            old.process.kill()
        else:
            old.process.stop()
        if forget_saved:
            (old.data_dir / "mosquitto.db").unlink(missing_ok=True)
        self.stack.mosquitto = start_mosquitto(
            old.data_dir,
            old.port,
            old.process.log_path,
            security=old.security,
            host=old.host,
        )

    @property
    def tansu(self) -> TansuBroker:
        assert self.stack.tansu is not None
        return self.stack.tansu

    async def restart_tansu(self) -> None:
        """Stop Tansu and start it empty on the same port (its memory storage is gone), as a
        machine reboot would; the topics are created again, as `firewatch up` does at start."""
        old = self.tansu
        old.process.stop()
        self.stack.tansu = start_tansu(
            old.port, old.process.log_path, host=old.host, cluster_id=old.cluster_id
        )
        await ensure_topics(self.stack.tansu.bootstrap)

    # --- what dispatch did -----------------------------------------------------------------

    def incidents_of(self, device_id: str) -> list[str]:
        """Dispatch's incident keys with a condition of this device, or one it is a source
        of (incidents v2: conditions join incidents, GLOSSARY.md)."""
        sql = (
            "SELECT DISTINCT incident_key FROM incident_conditions"
            " WHERE device_id = ? OR sources LIKE ?"
        )
        return [str(r[0]) for r in self._ledger(sql, (device_id, f'%"{device_id}"%'))]

    def notifications(self, incident_key: str) -> list[tuple[str, str, str, bool]]:
        """(step, recipient, channel, delivered) of every page dispatch recorded; a step an
        instance has claimed and is sending now (alerts/ledger/sharing.py) is in flight, not
        failed, and is left out."""
        sql = (
            "SELECT step_id, recipient, channel, is_ok FROM notifications WHERE incident_key = ?"
            f" AND (detail IS NULL OR detail NOT LIKE '{CLAIM_PREFIX}%')"
        )
        return [
            (str(a), str(b), str(c), bool(d)) for a, b, c, d in self._ledger(sql, (incident_key,))
        ]

    def _ledger(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        assert self.ends is not None
        with sqlite3.connect(self.ends.data_dir / "ledger.db", timeout=10) as db:
            return list(db.execute(sql, args))


def _with_metrics(spec: ServiceSpec, port: int) -> ServiceSpec:
    argv = spec.argv
    return dataclasses.replace(spec, argv=lambda e: [*argv(e), "--metrics-port", str(port)])
