"""The secrets a deployment reads, generated into one directory (`firewatch deploy secrets`).

What is generated, and what reads it (deploy/README.md):
- `compose.env`: every variable of `deploy/.env.example` (passwords, tokens), random values;
  `docker compose --env-file` reads it.
- `mosquitto/passwd`: Mosquitto's hashed password file, one entry per MQTT login of the
  compose file (a service's FIREWATCH_MQTT__USERNAME with the password its variable holds).
- `certs/`: a private CA (`ca.key` stays here, never mounted) and the broker's certificate
  for the names devices and services connect to (openssl).
- `audit.key`: the HMAC keyring of the ledger's audit chain (`KEY_ID:HEX`, 32 random bytes).
- `k8s/firewatch-secrets.env`: the keys of `k8s/base/secret.example.yaml`, for
  `kubectl create secret generic --from-env-file`.

Running it again keeps every existing value (a password change would lock services out) and
adds what is missing; rotation is deleting a value (or a file) and running it again.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENV_FILE = "compose.env"
PASSWD_FILE = "mosquitto/passwd"  # noqa: S105 - a file name, not a password
AUDIT_KEY_FILE = "audit.key"
K8S_ENV_FILE = "k8s/firewatch-secrets.env"
CERTS = "certs"
# Mosquitto 2.0's own default iteration count for its PBKDF2-SHA512 ($7$) entries; the
# passwords are 256-bit random tokens, so more iterations add nothing against guessing.
_PBKDF2_ITERATIONS = 101
# The bridge connects its two lanes as `{username}-priority` and `{username}-telemetry` where
# the broker binds sessions to usernames (docs/SECURITY.md): both spellings get an entry.
_LANES = ("priority", "telemetry")
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")
_PLACEHOLDER = "change-me"


class SecretsError(ValueError):
    """The deploy files disagree (one username, two password variables) or openssl failed."""


@dataclass(frozen=True)
class MqttLogin:
    username: str
    variable: str  # the compose variable that holds its password


def new_token() -> str:
    return secrets.token_urlsafe(32)


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """Mosquitto 2.0's password-file hash: `$7$iterations$salt$PBKDF2-SHA512` (base64)."""
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ITERATIONS)
    b64 = base64.b64encode
    return f"$7${_PBKDF2_ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def read_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines ('#' comments); a missing file is empty."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def mqtt_logins(compose: dict[str, Any]) -> list[MqttLogin]:
    """The MQTT logins the compose services declare, lane usernames of bridges included."""
    found: dict[str, str] = {}
    for name, service in compose.get("services", {}).items():
        env = service.get("environment") or {}
        user, password = env.get("FIREWATCH_MQTT__USERNAME"), env.get("FIREWATCH_MQTT__PASSWORD")
        if user is None or password is None:
            continue
        match = _VARIABLE.fullmatch(str(password))
        if match is None:
            raise SecretsError(f"{name}: FIREWATCH_MQTT__PASSWORD must be one ${{VARIABLE}}")
        command = [str(a) for a in service.get("command") or []]
        names = [str(user)]
        if command[:2] == ["firewatch", "ingest"]:
            names += [f"{user}-{lane}" for lane in _LANES]
        for username in names:
            if found.setdefault(username, match.group(1)) != match.group(1):
                raise SecretsError(f"MQTT user {username} has two password variables")
    return [MqttLogin(u, v) for u, v in sorted(found.items())]


def _write(path: Path, text: str, mode: int) -> None:
    """Replace atomically; created with `mode` from the start, never readable in between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.chmod(mode)
    tmp.replace(path)


# Files mounted into containers are read there by another uid (Mosquitto 1883, Firewatch
# 10001): they are 0644 inside a 0700 directory. A bind mount does not pass through the host's
# parent directories, so the 0700 keeps them private on the host and readable in the container.
_MOUNTED, _PRIVATE = 0o644, 0o600


def write_compose_env(out: Path, example: Path) -> dict[str, str]:
    """Every variable of the example; existing values kept, new ones random."""
    old = read_env(out / ENV_FILE)
    keys = list(read_env(example))
    values = {k: old.get(k) or new_token() for k in keys}
    extra = {k: v for k, v in old.items() if k not in values}  # the operator's own additions
    lines = [f"{k}={v}" for k, v in {**values, **extra}.items()]
    header = "# Generated by `firewatch deploy secrets`; never commit. Delete a line to rotate.\n"
    _write(out / ENV_FILE, header + "\n".join(lines) + "\n", _PRIVATE)
    return {**values, **extra}


def write_passwd(out: Path, logins: Iterable[MqttLogin], env: dict[str, str]) -> list[str]:
    entries = []
    for login in logins:
        if login.variable not in env:
            raise SecretsError(f"{login.variable} (password of {login.username}) is not in .env")
        entries.append(f"{login.username}:{mosquitto_hash(env[login.variable])}\n")
    _write(out / PASSWD_FILE, "".join(entries), _MOUNTED)
    return [e.split(":", 1)[0] for e in entries]


def write_audit_key(out: Path) -> None:
    path = out / AUDIT_KEY_FILE
    if not path.is_file():
        # alerts' keyring format: `KEY_ID:HEX`, the first key signs (docs/SECURITY.md).
        _write(path, f"k1:{secrets.token_hex(32)}\n", _MOUNTED)


def write_k8s_env(out: Path, example: Path) -> list[str]:
    """The Secret's keys from the example; each `change-me` becomes its own random token."""
    docs = [d for d in yaml.safe_load_all(example.read_text(encoding="utf-8")) if d]
    data: dict[str, str] = next(
        d["stringData"] for d in docs if d.get("metadata", {}).get("name") == "firewatch-secrets"
    )
    old = read_env(out / K8S_ENV_FILE)
    values = {k: old.get(k) or str(v).replace(_PLACEHOLDER, new_token()) for k, v in data.items()}
    lines = "".join(f"{k}={v}\n" for k, v in values.items())
    _write(out / K8S_ENV_FILE, lines, _PRIVATE)
    return list(values)


def _san(names: Iterable[str]) -> str:
    def entry(name: str) -> str:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return f"DNS:{name}"
        return f"IP:{name}"

    return "subjectAltName=" + ",".join(entry(n) for n in names)


def _openssl(*args: str) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise SecretsError("openssl is not installed (Debian: apt-get install openssl)")
    done = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SecretsError(f"openssl {args[0]} failed: {done.stderr.strip()[-300:]}")


_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def write_certs(out: Path, server_names: list[str]) -> None:
    """A CA (10 years) and the broker's certificate (825 days: the longest that Apple and
    browsers accept, a fair ceiling for clients too) for `server_names`."""
    certs = out / CERTS
    certs.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = certs / "ca.key", certs / "ca.crt"
    if not ca_crt.is_file():
        ca = ["-keyout", str(ca_key), "-out", str(ca_crt), "-days", "3650"]
        ca += ["-subj", "/CN=Firewatch MQTT CA", "-addext", "basicConstraints=critical,CA:TRUE"]
        _openssl("req", "-x509", "-new", *_EC_KEY, *ca, "-addext", "keyUsage=critical,keyCertSign")
    server_crt = certs / "server.crt"
    if not server_crt.is_file():
        server = ["-keyout", str(certs / "server.key"), "-out", str(server_crt), "-days", "825"]
        server += ["-subj", f"/CN={server_names[0]}", "-CA", str(ca_crt), "-CAkey", str(ca_key)]
        server += ["-addext", _san(server_names), "-addext", "basicConstraints=critical,CA:FALSE"]
        server += ["-addext", "extendedKeyUsage=serverAuth"]
        _openssl("req", "-x509", "-new", *_EC_KEY, *server)
    ca_key.chmod(_PRIVATE)
    for name in ("ca.crt", "server.crt", "server.key"):
        (certs / name).chmod(_MOUNTED)


@dataclass(frozen=True)
class Generated:
    directory: Path
    env_keys: list[str]
    mqtt_users: list[str]
    k8s_keys: list[str]


def generate(out: Path, deploy_dir: Path, server_names: list[str]) -> Generated:
    """Create (or complete) every secret of the deployment in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    compose = yaml.safe_load((deploy_dir / "compose.yaml").read_text(encoding="utf-8"))
    env = write_compose_env(out, deploy_dir / ".env.example")
    users = write_passwd(out, mqtt_logins(compose), env)
    write_audit_key(out)
    write_certs(out, server_names)
    k8s = write_k8s_env(out, deploy_dir / "k8s" / "base" / "secret.example.yaml")
    return Generated(out, list(env), users, k8s)
