"""`firewatch deploy secrets`: everything the deploy files need, private on the host, readable
where a container mounts it, stable across runs (a rerun must not lock services out), and
rotated by deleting what should change."""

from __future__ import annotations

import base64
import hashlib
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from firewatch.deploy_secrets import (
    AUDIT_KEY_FILE,
    ENV_FILE,
    K8S_ENV_FILE,
    PASSWD_FILE,
    SecretsError,
    generate,
    mosquitto_hash,
    mqtt_logins,
    read_env,
)
from tests.deploy.conftest import DEPLOY

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def test_everything_is_generated_private_and_mountable(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    done = generate(out, DEPLOY, ["mosquitto", "mqtt.example.org", "127.0.0.1"])
    assert _mode(out) == 0o700
    assert _mode(out / ENV_FILE) == 0o600
    assert _mode(out / "certs" / "ca.key") == 0o600  # never mounted, never readable by others
    for mounted in (PASSWD_FILE, AUDIT_KEY_FILE, "certs/server.key", "certs/ca.crt"):
        assert _mode(out / mounted) == 0o644, mounted  # read in containers by another uid
    assert set(read_env(out / ENV_FILE)) == set(read_env(DEPLOY / ".env.example"))
    assert "change-me" not in (out / ENV_FILE).read_text()
    example = next(yaml.safe_load_all((DEPLOY / "k8s" / "base" / "secret.example.yaml").open()))
    k8s = read_env(out / K8S_ENV_FILE)
    assert set(k8s) == set(example["stringData"]) == set(done.k8s_keys)
    assert "change-me" not in "".join(k8s.values())
    assert k8s["FIREWATCH_DISPATCH__DATABASE_URL"].startswith("postgresql://firewatch:")
    key_id, _, key = (out / AUDIT_KEY_FILE).read_text().strip().partition(":")
    assert key_id
    assert len(bytes.fromhex(key)) == 32


def test_the_broker_certificate_is_signed_by_the_ca_for_every_name(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    generate(out, DEPLOY, ["mosquitto", "mqtt.example.org", "127.0.0.1"])
    certs = out / "certs"
    verify = _openssl("verify", "-CAfile", str(certs / "ca.crt"), str(certs / "server.crt"))
    assert verify.returncode == 0, verify.stderr
    shown = _openssl("x509", "-in", str(certs / "server.crt"), "-noout", "-ext", "subjectAltName")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "DNS:mosquitto" in text
    assert "DNS:mqtt.example.org" in text
    assert "IP Address:127.0.0.1" in text


def test_a_rerun_keeps_every_value_and_deleting_one_rotates_it(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    generate(out, DEPLOY, ["mosquitto"])
    first = _files(out)
    generate(out, DEPLOY, ["mosquitto"])
    second = _files(out)
    # The password file is rehashed with new salts; every password, key and certificate stays.
    assert {k: v for k, v in second.items() if k != PASSWD_FILE} == {
        k: v for k, v in first.items() if k != PASSWD_FILE
    }
    env = read_env(out / ENV_FILE)
    lines = [ln for ln in (out / ENV_FILE).read_text().splitlines() if "MQTT_INGEST_1" not in ln]
    (out / ENV_FILE).write_text("\n".join(lines) + "\n")
    generate(out, DEPLOY, ["mosquitto"])
    rotated = read_env(out / ENV_FILE)
    assert rotated["MQTT_INGEST_1_PASSWORD"] != env["MQTT_INGEST_1_PASSWORD"]
    assert {k: v for k, v in rotated.items() if k != "MQTT_INGEST_1_PASSWORD"} == {
        k: v for k, v in env.items() if k != "MQTT_INGEST_1_PASSWORD"
    }


def test_the_password_file_holds_each_compose_login_with_its_password(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    generate(out, DEPLOY, ["mosquitto"])
    env = read_env(out / ENV_FILE)
    entries = dict(line.split(":", 1) for line in (out / PASSWD_FILE).read_text().splitlines())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    logins = mqtt_logins(compose)
    assert {login.username for login in logins} == set(entries)
    for login in logins:
        _, _, iterations, salt, digest = entries[login.username].split("$")
        expected = hashlib.pbkdf2_hmac(
            "sha512", env[login.variable].encode(), base64.b64decode(salt), int(iterations)
        )
        assert base64.b64decode(digest) == expected, login.username
    assert mosquitto_hash("pw", b"0" * 12) == mosquitto_hash("pw", b"0" * 12)


def test_one_username_with_two_password_variables_is_refused() -> None:
    def service(variable: str) -> dict[str, object]:
        env = {"FIREWATCH_MQTT__USERNAME": "ingest", "FIREWATCH_MQTT__PASSWORD": f"${{{variable}}}"}
        return {"command": ["firewatch", "ingest"], "environment": env}

    with pytest.raises(SecretsError, match="two password variables"):
        mqtt_logins({"services": {"a": service("ONE"), "b": service("TWO")}})
