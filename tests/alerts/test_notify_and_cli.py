"""Webhook retries with backoff, console passwords, and the report / audit commands."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from alerts.console.passwords import hash_password, verify_password
from alerts.lifecycle import Action
from alerts.notify.base import Page
from alerts.notify.webhook import WebhookChannel
from alerts.registry.models import ContactChannel
from events.alerts import AlertKind
from firewatch.cli import main

from .rig import Rig, make_alert

AT = datetime(2026, 1, 5, tzinfo=UTC)
PAGE = Page(
    "c/b1/fire/sd-1",
    "p1-page",
    "ste-m1",
    ContactChannel.WEBHOOK,
    "http://hooks.test/page",
    "P1",
    "fire",
    "b1",
    AT,
)


async def _deliver(statuses: list[int], retries: int = 3) -> tuple[bool, str, list[float], int]:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        assert request.headers["content-type"] == "application/json"
        return httpx.Response(statuses[min(calls, len(statuses)) - 1])

    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        result = await WebhookChannel(client, retries, 0.2, sleep).deliver(PAGE)
    return result.is_ok, result.detail, slept, calls


async def test_webhook_retries_with_exponential_backoff_then_succeeds() -> None:
    is_ok, _detail, slept, calls = await _deliver([503, 503, 200])
    assert is_ok
    assert calls == 3
    assert slept == [0.2, 0.4]


async def test_webhook_failure_is_reported_not_swallowed() -> None:
    is_ok, detail, slept, calls = await _deliver([500], retries=2)
    assert not is_ok
    assert calls == 3
    assert "HTTP 500" in detail
    assert slept == [0.2, 0.4]
    is_ok, _detail, _slept, calls = await _deliver([404])
    assert (is_ok, calls) == (False, 1)  # a rejecting receiver is not retried


async def test_a_resent_webhook_page_says_so_under_the_same_idempotency_key() -> None:
    seen: list[tuple[str, bool]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["idempotency-key"], json.loads(request.content)["resend"]))
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        channel = WebhookChannel(client)
        await channel.deliver(PAGE)
        await channel.deliver(replace(PAGE, is_resend=True))
    assert seen == [(PAGE.idempotency_key, False), (PAGE.idempotency_key, True)]


def test_password_hash_round_trip() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$")
    assert verify_password("s3cret", stored)
    assert not verify_password("S3cret", stored)
    assert not verify_password("s3cret", None)
    assert not verify_password("s3cret", "md5$x")


async def test_report_and_audit_verify_commands(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.alert(make_alert(AlertKind.LOW_BATTERY, device="sd-3"))  # maintenance
    rig.clock.advance(30)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    url = rig.db_url
    assert main(["report", "--database-url", url, "--days", "100000"]) == 0
    out = capsys.readouterr().out
    assert "Open now: 1" in out
    assert "Time to acknowledge: median 30 s, p90 30 s (n=1)" in out
    # Reported now (the wall clock), long after the fake clock's day: past its 24 h.
    assert "Maintenance work orders open: 1 (1 overdue)" in out
    assert "low_battery        sd-3 due 2026-01-06T02:00:00+00:00  OVERDUE" in out
    assert main(["audit", "verify", "--database-url", url]) == 0
    assert "ok" in capsys.readouterr().out
    with rig.ledger.db.transaction():
        rig.ledger.db.execute("DELETE FROM audit_log WHERE seq = 2")
    assert main(["audit", "verify", "--database-url", url]) == 1
    assert "TAMPERED: entries 2..2 are missing (deleted)" in capsys.readouterr().out


def test_check_registry_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dispatch", "--check-registry"]) == 0
    assert "registry ok: 2 stations, 2 compounds, 18 members" in capsys.readouterr().out
    (tmp_path / "bad.yaml").write_text("stations: [{station_id: x}]\n")
    assert main(["dispatch", "--check-registry", "--registry", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "registry invalid: bad.yaml: stations[0]: name: Field required" in err
