"""Dispatch configuration: one frozen model, composed as `Settings.dispatch`.

Environment: FIREWATCH_DISPATCH__DATABASE_URL, FIREWATCH_DISPATCH__REGISTRY_DIR, ...
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from alerts.console.config import ConsoleConfig
from alerts.escalation import EscalationPolicy
from alerts.registry.loader import EXAMPLE_DIR
from events.alerts import Severity


class DispatchConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_dir: Path = EXAMPLE_DIR
    # sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://user@host/db
    database_url: SecretStr = SecretStr("sqlite:///var/firewatch-ledger.db")
    consumer_group: str = "firewatch-dispatch"
    # Tansu answers a fetch only when the max wait has passed (measured here: p50 222 ms
    # produce->consume at aiokafka's default 500 ms, 4 ms at 10 ms). Apache Kafka answers at
    # once with fetch.min.bytes=1, so a low value only costs idle fetches there.
    fetch_max_wait_ms: int = Field(default=10, ge=1, le=500)
    escalation: EscalationPolicy = EscalationPolicy()
    # Severities that tie a station up: it is "busy" and the next covering station takes a
    # different event (alerts.routing).
    busy_on: tuple[Severity, ...] = (Severity.P1,)
    # Flapping (issue 10): a condition that returns within this long after a person resolved
    # its incident reopens the same incident and pages nobody, for these severities. A fire
    # that returns is paged afresh: a panel treats an alarm after reset as a new alarm.
    reopen_holdoff_s: float = Field(default=900.0, ge=0.0)
    quiet_reopen_on: tuple[Severity, ...] = (Severity.P2,)
    # Resolved incidents stay in memory this long (replays of their alerts are recognised;
    # the hold-off needs them). Never below the hold-off.
    resolved_memory_s: float = Field(default=3600.0, ge=0.0)
    # DOMAIN.md §2: "P3, faults and offline devices: work order within 24 h".
    work_order_due_s: float = Field(default=86_400.0, gt=0.0)
    # GB 50166-2019 §4.1.3: linkage within 3 s; the read-back gets the device's report cycle on
    # top (ports report every few seconds in the simulator; configurable).
    readback_deadline_s: float = Field(default=10.0, gt=0.0)
    # GB 50440 (U): alarm records kept >= 1 year; never configurable below that.
    retention_days: int = Field(default=400, ge=365)
    false_alarms_per_day_limit: int = Field(default=5, ge=1)  # GB 50440 O&M (V)
    webhook_timeout_s: float = Field(default=2.0, gt=0.0)
    webhook_retries: int = Field(default=3, ge=0, le=10)
    webhook_backoff_s: float = Field(default=0.2, ge=0.0)
    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8089, ge=0, le=65535)
    console: ConsoleConfig = ConsoleConfig()  # sessions, cookies, CSRF origins, sign-in throttle
    terminal_qos: int = Field(default=1, ge=0, le=2)
    # The audit chain's HMAC keyring (alerts/ledger/audit_keys.py; docs/SECURITY.md): keep it
    # off the database host. Without it the chain is checked but a rebuilt chain goes unseen.
    audit_key_file: Path | None = None
    # Signed checkpoints of the chain go to this append-only file (chattr +a in production)
    # and to Kafka (fw.audit.v1) every interval: the window a truncated tail can hide in.
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_interval_s: float = Field(default=60.0, gt=0.0)
    # /readyz's ledger.reachable check: a round trip to the ledger database this often.
    ledger_probe_interval_s: float = Field(default=5.0, gt=0.0)
