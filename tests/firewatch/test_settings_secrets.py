"""The effective configuration is logged once at start, and no secret appears in clear."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from firewatch import cli
from firewatch.settings import Settings


def _secret_env_vars(model: type[BaseModel], prefix: str = "FIREWATCH_") -> list[str]:
    """Every SecretStr field of the settings tree, as its environment variable."""
    found: list[str] = []
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        candidates = getattr(annotation, "__args__", (annotation,))
        env = f"{prefix}{name.upper()}"
        if SecretStr in candidates:
            found.append(env)
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found.extend(_secret_env_vars(candidate, f"{env}__"))
    return found


def test_the_settings_tree_has_the_secrets_we_know_of() -> None:
    names = set(_secret_env_vars(Settings))
    assert {
        "FIREWATCH_MQTT__PASSWORD",
        "FIREWATCH_KAFKA__SASL_PASSWORD",
        "FIREWATCH_SINK__TOKEN",
    } <= names


def test_no_secret_appears_in_clear_in_the_masked_config(monkeypatch: pytest.MonkeyPatch) -> None:
    names = _secret_env_vars(Settings)
    for n, name in enumerate(names):
        monkeypatch.setenv(name, f"clear-secret-{n}-XYZ")
    # A SASL password is accepted only with a protocol that uses it (events/connections.py).
    monkeypatch.setenv("FIREWATCH_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("FIREWATCH_KAFKA__SASL_USERNAME", "fw-test")
    settings = Settings()
    for name in names:  # the values did arrive: masking, not absence, keeps them out
        path = name.removeprefix("FIREWATCH_").lower().split("__")
        value: Any = settings
        for part in path:
            value = getattr(value, part)
        assert isinstance(value, SecretStr)
        assert value.get_secret_value().startswith("clear-secret-")
    masked = settings.masked_json()
    assert "clear-secret-" not in masked
    assert "**********" in masked


@pytest.fixture
def restore_logging() -> Iterator[None]:
    # cli.main configures the root logger (handlers to stderr): put the test's back afterwards.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_sink_logs_a_short_config_line_and_the_masked_dump_at_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FIREWATCH_SINK__TOKEN", "influx-token-in-clear")
    monkeypatch.delenv("FIREWATCH_SINK__URL", raising=False)
    argv = ["--log-json", "--log-level", "DEBUG", "sink", "--bucket", "b1"]
    code = cli.main(argv)  # no URL: logs, then refuses with a usage error
    assert code == 2
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    short = [e["msg"] for e in logged if e["msg"].startswith("effective config: ")]
    assert len(short) == 1
    assert "sink.bucket=b1" in short[0]
    assert "sink.token=**********" in short[0]
    assert len(short[0]) < 200  # one short line, not the 4 KB dump (issue #14)
    full = [e for e in logged if e["msg"].startswith("full config: ")]
    assert len(full) == 1
    assert full[0]["level"] == "DEBUG"
    config = json.loads(full[0]["msg"].removeprefix("full config: "))
    assert config["sink"]["bucket"] == "b1"
    assert config["sink"]["token"] == "**********"
    assert not any("influx-token-in-clear" in e["msg"] for e in logged)
    assert logged[-1]["level"] == "ERROR"
    assert "no InfluxDB URL" in logged[-1]["msg"]
