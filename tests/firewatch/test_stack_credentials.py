"""Generated credentials of the embedded stack: private files, reused on restart, unique per
stack, hashed the way Mosquitto checks them, and handed to each simulated gateway."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from events.connections import MqttConnection
from firewatch.commands.up import _check_listen
from firewatch.embedded.acl import Identity, Role, render_acl
from firewatch.embedded.credentials import (
    GATEWAYS_FILE,
    PASSWD_FILE,
    load_or_create,
    write_private,
)
from simulators.mqtt.logins import MissingGatewayLogin, gateway_connection

GATEWAYS = [("c001", "c001-gw1"), ("c001", "c001-gw2")]


def test_secrets_are_private_and_survive_a_restart_of_the_same_stack(tmp_path: Path) -> None:
    first = load_or_create(tmp_path, GATEWAYS, ["term-st-east"])
    again = load_or_create(tmp_path, [*GATEWAYS, ("c002", "c002-gw1")], ["term-st-east"])
    assert again.stack_id == first.stack_id
    assert again.services == first.services  # the bridge resumes its MQTT session
    assert again.gateways["c001/c001-gw1"] == first.gateways["c001/c001-gw1"]
    assert "c002/c002-gw1" in again.gateways
    assert stat.S_IMODE(first.directory.stat().st_mode) == 0o700
    for path in first.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_two_stacks_never_share_a_service_identity(tmp_path: Path) -> None:
    a = load_or_create(tmp_path / "a", GATEWAYS, [])
    b = load_or_create(tmp_path / "b", GATEWAYS, [])
    names_a = {i.username for i in a.named_identities()}
    names_b = {i.username for i in b.named_identities()}
    assert not names_a & names_b
    assert a.gateways["c001/c001-gw1"].password != b.gateways["c001/c001-gw1"].password


def test_the_password_file_holds_every_login_hashed_as_mosquitto_does(tmp_path: Path) -> None:
    s = load_or_create(tmp_path, GATEWAYS, ["term-st-east"])
    entries = dict(line.split(":", 1) for line in s.path(PASSWD_FILE).read_text().splitlines())
    logins = dict(s.logins())
    assert set(entries) == set(logins)
    assert f"{s.bridge_id}-priority" in entries  # one user per bridge session
    for user, password in logins.items():
        _, scheme, iterations, salt, digest = entries[user].split("$")
        assert scheme == "7"  # PBKDF2-SHA512, Mosquitto 2.0
        expected = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt), int(iterations)
        )
        assert base64.b64decode(digest) == expected
        assert password not in entries[user]


def test_write_private_narrows_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_simulated_gateway_gets_its_own_login(tmp_path: Path) -> None:
    s = load_or_create(tmp_path, GATEWAYS, [])
    conn = MqttConnection(port=1883, gateway_credentials=s.path(GATEWAYS_FILE))
    one = gateway_connection(conn, ("c001", "c001-gw1"))
    assert one.username == "c001/c001-gw1"
    assert one.password == SecretStr(s.gateways["c001/c001-gw1"].password)
    assert gateway_connection(conn, ("c001", "c001-gw2")).username == "c001/c001-gw2"
    with pytest.raises(MissingGatewayLogin, match="c009/gw"):
        gateway_connection(conn, ("c009", "gw"))
    plain = MqttConnection(username="u", password=SecretStr("p"))
    assert gateway_connection(plain, ("c001", "c001-gw1")) is plain
    assert json.loads(s.path(GATEWAYS_FILE).read_text())["c001/c001-gw1"]["username"]


def test_a_named_identity_may_not_hold_topic_characters() -> None:
    for bad in ("c1/gw1", "a+b", "x#", "two words", ""):
        with pytest.raises(ValueError, match="one topic level"):
            render_acl([Identity(bad, Role.DISPATCH)])


def test_rotation_changes_every_password_and_keeps_every_username(tmp_path: Path) -> None:
    before = load_or_create(tmp_path, GATEWAYS, ["term-st-east"])
    after = load_or_create(tmp_path, GATEWAYS, ["term-st-east"], rotate=True)
    old, new = dict(before.logins()), dict(after.logins())
    assert old.keys() == new.keys()
    assert all(old[user] != new[user] for user in old)


def test_up_listens_only_on_one_named_address() -> None:
    assert _check_listen("127.0.0.1") is None
    assert _check_listen("192.168.1.10") is None
    assert "not every interface" in str(_check_listen("0.0.0.0"))
    assert "not every interface" in str(_check_listen("::"))
    assert "not an IP address" in str(_check_listen("example.org"))
