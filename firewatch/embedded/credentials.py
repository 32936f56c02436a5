"""Generated credentials of one embedded stack: MQTT users per service and gateway, the audit key.

Everything lives in `{data_dir}/secrets/` (0700; files 0600, never logged). A stack started
again on the same data dir reuses them, so the bridge resumes its persistent MQTT session.
Service usernames carry a stack id (`fw-{id}-ingest`): two stacks never share a client id.

Files: `mqtt-passwd` (Mosquitto's hashed password file), `mqtt-acl` (firewatch.embedded.acl),
`mqtt-services.json` (services and terminals), `mqtt-gateways.json` (one entry per gateway,
keyed `compound/gateway`: what `FIREWATCH_MQTT__GATEWAY_CREDENTIALS` points the simulator at),
`audit.key` (the ledger's HMAC keyring: alerts/ledger/audit_keys.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.ledger.audit_keys import new_keyring_text
from firewatch.embedded.acl import Identity, Role, bridge_identities, gateway_username, render_acl

SECRETS_DIR = "secrets"
SERVICES_FILE = "mqtt-services.json"
GATEWAYS_FILE = "mqtt-gateways.json"
PASSWD_FILE = "mqtt-passwd"  # noqa: S105 - a file name, not a password
ACL_FILE = "mqtt-acl"
AUDIT_KEY_FILE = "audit.key"
# Mosquitto's own default for its PBKDF2-SHA512 hashes ($7$). The passwords are 256-bit random
# tokens, so the iteration count adds nothing against guessing and costs CPU on every CONNECT.
_PBKDF2_ITERATIONS = 101


@dataclass(frozen=True)
class Credential:
    username: str
    password: str = field(repr=False)

    def as_json(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


def _new(username: str) -> Credential:
    return Credential(username, secrets.token_urlsafe(32))


@dataclass
class StackSecrets:
    directory: Path
    stack_id: str
    services: dict[str, Credential]  # ingest (lanes add -priority/-telemetry), dispatch, ...
    gateways: dict[str, Credential]  # keyed "compound/gateway"
    terminals: dict[str, Credential]  # keyed terminal id

    @property
    def bridge_id(self) -> str:
        return self.services["ingest"].username

    def named_identities(self) -> list[Identity]:
        s = self.services
        return [
            *bridge_identities(s["ingest"].username),
            Identity(s["dispatch"].username, Role.DISPATCH),
            Identity(s["recorder"].username, Role.RECORDER),
            Identity(s["probe"].username, Role.PROBE),
            *(Identity(c.username, Role.TERMINAL) for c in self.terminals.values()),
        ]

    def logins(self) -> list[tuple[str, str]]:
        """(username, password) of every MQTT user, bridge lanes included."""
        out = [(c.username, c.password) for c in self.gateways.values()]
        out += [(c.username, c.password) for c in self.terminals.values()]
        for name, cred in self.services.items():
            if name == "ingest":
                out += [(i.username, cred.password) for i in bridge_identities(cred.username)]
            else:
                out.append((cred.username, cred.password))
        return out

    def path(self, name: str) -> Path:
        return self.directory / name


def load_or_create(
    data_dir: Path,
    gateways: Iterable[tuple[str, str]],
    terminals: Iterable[str],
    *,
    rotate: bool = False,
) -> StackSecrets:
    """The stack's secrets, created on first use; new gateways or terminals get new entries.
    `rotate` gives every login a new password and keeps the usernames (so the bridge keeps
    its MQTT session); the audit key is rotated separately (`firewatch audit rotate-key`)."""
    directory = data_dir / SECRETS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    services_path, gateways_path = directory / SERVICES_FILE, directory / GATEWAYS_FILE
    old = _read_json(services_path)
    stack_id = str(old.get("stack_id") or secrets.token_hex(3))
    services = {
        role: _loaded(old.get("services", {}).get(role), rotate) or _new(f"fw-{stack_id}-{role}")
        for role in ("ingest", "dispatch", "recorder", "probe")
    }
    old_terminals = old.get("terminals", {})
    terminal_creds = {t: _loaded(old_terminals.get(t), rotate) or _new(t) for t in terminals}
    old_gateways = _read_json(gateways_path)
    gateway_creds = {}
    for compound, gateway in gateways:
        key = gateway_username(compound, gateway)
        gateway_creds[key] = _loaded(old_gateways.get(key), rotate) or _new(key)
    result = StackSecrets(directory, stack_id, services, gateway_creds, terminal_creds)
    _write_all(result)
    return result


def _loaded(entry: Any, rotate: bool) -> Credential | None:
    if isinstance(entry, dict) and entry.get("username") and entry.get("password"):
        if rotate:
            return _new(str(entry["username"]))
        return Credential(str(entry["username"]), str(entry["password"]))
    return None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _write_all(s: StackSecrets) -> None:
    services = {
        "stack_id": s.stack_id,
        "services": {k: c.as_json() for k, c in s.services.items()},
        "terminals": {k: c.as_json() for k, c in s.terminals.items()},
    }
    write_private(s.path(SERVICES_FILE), json.dumps(services, indent=2) + "\n")
    gateways = {k: c.as_json() for k, c in s.gateways.items()}
    write_private(s.path(GATEWAYS_FILE), json.dumps(gateways, indent=2) + "\n")
    passwd = "".join(f"{user}:{mosquitto_hash(pw)}\n" for user, pw in s.logins())
    write_private(s.path(PASSWD_FILE), passwd)
    write_private(s.path(ACL_FILE), render_acl(s.named_identities()))
    if not s.path(AUDIT_KEY_FILE).exists():
        write_private(s.path(AUDIT_KEY_FILE), new_keyring_text())


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """Mosquitto 2.0's password-file hash: `$7$iterations$salt$PBKDF2-SHA512` (base64)."""
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ITERATIONS)
    b64 = base64.b64encode
    return f"$7${_PBKDF2_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read: created 0600, replaced atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.chmod(0o600)  # O_CREAT's mode does not apply to a leftover temp file
    tmp.replace(path)
