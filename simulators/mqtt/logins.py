"""One MQTT login per simulated gateway, read from the file `firewatch up` writes.

A broker that binds a session to its credential (docs/SECURITY.md) and lets a gateway publish
only under its own compound and gateway needs each simulated gateway to log in as itself:
`MqttConnection.gateway_credentials` names the file, keyed `compound/gateway`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from events.connections import MqttConnection

GatewayKey = tuple[str, str]


class MissingGatewayLogin(KeyError):
    def __init__(self, gw: GatewayKey, path: Path) -> None:
        super().__init__(f"no MQTT login for gateway {gw[0]}/{gw[1]} in {path}")


def gateway_connection(conn: MqttConnection, gw: GatewayKey) -> MqttConnection:
    """`conn` with the gateway's own username and password, when a logins file is set."""
    path = conn.gateway_credentials
    if path is None:
        return conn
    entry = _logins(path, path.stat().st_mtime_ns).get(f"{gw[0]}/{gw[1]}")
    if entry is None:
        raise MissingGatewayLogin(gw, path)
    return conn.model_copy(
        update={"username": entry["username"], "password": SecretStr(entry["password"])}
    )


@lru_cache(maxsize=4)
def _logins(path: Path, _mtime_ns: int) -> dict[str, dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}
