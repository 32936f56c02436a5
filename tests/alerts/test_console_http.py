"""The console's HTTP side against an attacker and a careless client (issue 12.4, 11.9):
security headers, CSRF refusals, 4xx for malformed requests, sessions that survive a restart
and expire, throttled sign-in that costs the same for unknown members. Real aiohttp server on
a loopback port, real dispatcher and SQLite ledger behind it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from alerts.console import passwords
from alerts.console.config import ConsoleConfig, CookieSecure
from alerts.console.security import CSP
from alerts.registry import EXAMPLE_DIR, load_registry
from runtime.clock import ManualClock

from .console_rig import PASSWORD, ConsoleRig, serve_console
from .rig import DAY, make_alert

EVIL = "http://evil.example"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[ConsoleRig]:
    async with serve_console(f"sqlite:///{tmp_path}/ledger.db", ManualClock(DAY)) as r:
        yield r


async def _fire(rig: ConsoleRig) -> str:
    inc = await rig.raise_alert(make_alert(device="c001-b1-f3-u2-smk", at=DAY))
    return inc.incident_key


async def test_every_answer_carries_the_security_headers(rig: ConsoleRig) -> None:
    async with rig.client() as client:
        for path in ("/", "/static/app.js", "/api/me", "/api/messages/zh-CN", "/nowhere"):
            res = await client.get(path)
            assert res.headers["Content-Security-Policy"] == CSP, path
            assert res.headers["X-Content-Type-Options"] == "nosniff"
            assert res.headers["X-Frame-Options"] == "DENY"
            assert res.headers["Referrer-Policy"] == "no-referrer"
            assert "Strict-Transport-Security" not in res.headers  # plain HTTP here
        assert "'unsafe-inline'" not in CSP
        assert "script-src 'self'" in CSP
        page = await client.get("/")
        assert '<html lang="zh-CN">' in page.text
        assert "<script>" not in page.text  # no inline script: the CSP would block it
        refused = await client.get("/api/me")
        assert refused.status_code == 401
        assert refused.json() == {"error": "unauthorized", "message": "请先登录"}
        assert refused.headers["Cache-Control"] == "no-store"
        english = await client.get("/api/me", headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert english.json()["message"] == "Please sign in"


async def test_cross_site_state_changes_are_refused(rig: ConsoleRig) -> None:
    key = await _fire(rig)
    body = {"incident_key": key, "action": "acknowledge"}
    async with rig.signed_in("ste-m1") as (client, csrf):
        # A form or text/plain POST is what a foreign page can send without a preflight.
        plain = await client.post(
            "/api/action",
            content=b'{"incident_key": "%s", "action": "acknowledge"}' % key.encode(),
            headers={"Content-Type": "text/plain", "Origin": EVIL, "X-CSRF-Token": csrf},
        )
        assert plain.status_code == 415
        foreign = await client.post(
            "/api/action", json=body, headers={"Origin": EVIL, "X-CSRF-Token": csrf}
        )
        assert (foreign.status_code, foreign.json()["error"]) == (403, "csrf")
        fetch_meta = await client.post(
            "/api/action", json=body, headers={"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": csrf}
        )
        assert fetch_meta.status_code == 403
        no_token = await client.post("/api/action", json=body, headers={"Origin": rig.url})
        assert (no_token.status_code, no_token.json()["error"]) == (403, "csrf")
        wrong = await client.post("/api/action", json=body, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        inc = rig.incident(key)
        assert inc is not None
        assert inc.acknowledged_at is None  # none of the above reached the dispatcher
        ok = await client.post(
            "/api/action", json=body, headers={"Origin": rig.url, "X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200
        assert ok.json()["state"] == "acknowledged"
    async with rig.client(Origin=EVIL) as stranger:
        login = await stranger.post(
            "/api/login", json={"member_id": "ste-m1", "password": PASSWORD}
        )
        assert login.status_code == 403  # no sign-in forged from another site either


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[]",
        b"null",
        b'{"incident_key": 5, "action": "acknowledge"}',
        b'{"incident_key": "k", "action": "explode"}',
        b'{"incident_key": "k", "action": "resolve", "outcome": "maybe"}',
        b'{"incident_key": "k", "action": "mute", "extra": 1}',
        b'{"incident_key": "", "action": "mute"}',
        b'{"incident_key": "\\ud800", "action": "mute"}',
        b"\xff\xfe",
    ],
)
async def test_malformed_actions_are_4xx_never_500(rig: ConsoleRig, content: bytes) -> None:
    async with rig.signed_in("ste-m1") as (client, csrf):
        res = await client.post(
            "/api/action",
            content=content,
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
        )
    assert 400 <= res.status_code < 500, (content, res.status_code, res.text)


async def test_malformed_reads_and_oversized_bodies_are_4xx(rig: ConsoleRig) -> None:
    async with rig.signed_in("ste-m1") as (client, csrf):
        for path in (
            "/api/plan/c001/b1?floor=abc",
            "/api/plan/c001/b1?floor=0",
            "/api/plan/c001/b1?floor=99",
            "/api/plan/c001/nothing",
            "/api/siteplan/nowhere",
            "/api/messages/xx",
            "/api/drawing/c001/b1",
            "/static/../server.py",
            "/static/vendor/../../server.py",
        ):
            res = await client.get(path)
            assert 400 <= res.status_code < 500, (path, res.status_code)
        huge = await client.post(
            "/api/action",
            content=b'{"incident_key": "' + b"k" * 40_000 + b'", "action": "mute"}',
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
        )
        assert huge.status_code == 413
        bad_login = await client.post("/api/login", json={"member_id": "x" * 65, "password": "p"})
        assert bad_login.status_code == 400


async def test_sessions_survive_a_restart_and_expire(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/ledger.db"
    clock = ManualClock(DAY)
    async with serve_console(db_url, clock) as first, first.client() as client:
        res = await client.post("/api/login", json={"member_id": "ste-m1", "password": PASSWORD})
        token = res.cookies["fw_session"]
    restarted = serve_console(db_url, clock)
    async with restarted as second, second.client(Cookie=f"fw_session={token}") as client:
        me = await client.get("/api/me")
        assert (me.status_code, me.json()["member_id"]) == (200, "ste-m1")
        stored = second.console.db.query("SELECT token_sha256 FROM console_sessions")
        assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]  # never the token
        clock.advance(ConsoleConfig().session_ttl_s + 1)
        assert (await client.get("/api/me")).status_code == 401
        assert second.console.db.query("SELECT * FROM console_sessions") == []


async def test_sign_out_ends_the_session(rig: ConsoleRig) -> None:
    async with rig.signed_in("ste-m1") as (client, csrf):
        token = client.cookies["fw_session"]
        assert (
            await client.post("/api/logout", json={}, headers={"X-CSRF-Token": csrf})
        ).is_success
    async with rig.client(Cookie=f"fw_session={token}") as replay:
        assert (await replay.get("/api/me")).status_code == 401


def _cookie(res: httpx.Response) -> str:
    return res.headers["Set-Cookie"]


async def test_cookie_flags_follow_tls_and_the_setting(tmp_path: Path) -> None:
    login = {"member_id": "ste-m1", "password": PASSWORD}
    async with (
        serve_console(f"sqlite:///{tmp_path}/a.db", ManualClock(DAY)) as plain,
        plain.client() as client,
    ):
        cookie = _cookie(await client.post("/api/login", json=login))
    assert cookie.startswith("fw_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    proxied = ConsoleConfig(trust_proxy_headers=True)
    async with serve_console(f"sqlite:///{tmp_path}/b.db", ManualClock(DAY), config=proxied) as rig:
        async with rig.client(**{"X-Forwarded-Proto": "https"}) as client:
            res = await client.post("/api/login", json=login)
            assert res.headers["Strict-Transport-Security"].startswith("max-age=")
        assert _cookie(res).startswith("__Host-fw_session=")
        assert "Secure" in _cookie(res)
        async with rig.client() as direct:  # the proxy did not say TLS: plain HTTP
            assert "Secure" not in _cookie(await direct.post("/api/login", json=login))
    always = ConsoleConfig(cookie_secure=CookieSecure.ALWAYS)
    async with (
        serve_console(f"sqlite:///{tmp_path}/c.db", ManualClock(DAY), config=always) as rig,
        rig.client() as client,
    ):
        assert "Secure" in _cookie(await client.post("/api/login", json=login))


async def test_sign_in_is_throttled_per_member_and_per_address(rig: ConsoleRig) -> None:
    clock = rig.backend.clock
    assert isinstance(clock, ManualClock)
    async with rig.client() as client:

        async def login(member: str, password: str = "wrong") -> httpx.Response:
            return await client.post("/api/login", json={"member_id": member, "password": password})

        assert [(await login("ste-m1")).status_code for _ in range(5)] == [401] * 5
        throttled = await login("ste-m1", PASSWORD)  # even the right password waits now
        assert throttled.status_code == 429
        assert throttled.json()["error"] == "throttled"
        assert int(throttled.headers["Retry-After"]) >= 1
        assert (await login("nobody-1")).status_code == 401  # another id: its own count
        clock.advance(1.5)
        assert (await login("ste-m1", PASSWORD)).status_code == 200
        # 20 failures from one address over many ids (a spray) slow that address down.
        for i in range(2, 16):
            assert (await login(f"nobody-{i}")).status_code == 401
        assert (await login("ste-m2", PASSWORD)).status_code == 429


async def test_refusals_cost_one_scrypt_for_known_and_unknown_members(
    rig: ConsoleRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: known members took ~86 ms to refuse and unknown ones ~5 ms. Counted, not
    timed: each refusal runs scrypt once with the same cost parameters."""
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt
    passwords.verify_password("warm-up", None)  # the dummy hash is made on first use

    def counting(password: bytes, **kw: Any) -> bytes:
        calls.append((kw["n"], kw["r"], kw["p"]))
        return real(password, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    async with rig.client() as client:
        for member in ("ste-m1", "nobody", "cr-1"):
            res = await client.post("/api/login", json={"member_id": member, "password": "x"})
            assert res.status_code == 401
            assert res.json()["error"] == "signin_failed"
    assert calls == [(2**14, 8, 1)] * 3


async def test_an_imported_floor_plan_drawing_is_served_sandboxed(tmp_path: Path) -> None:
    """A drawing imported with the registry shows under the plan; opened on its own, the
    sandbox CSP keeps anything inside it from running on the console's origin."""
    folder = tmp_path / "registry"
    folder.mkdir()
    for src in EXAMPLE_DIR.glob("*.yaml"):
        doc = yaml.safe_load(src.read_text(encoding="utf-8"))
        for compound in doc.get("compounds", []):
            for building in compound["buildings"]:
                if building.get("floor_plan"):
                    building["floor_plan"] = {**building["floor_plan"], "svg": "typical.svg"}
        (folder / src.name).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    drawing = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    (folder / "typical.svg").write_text(drawing, encoding="utf-8")
    registry = load_registry(folder)
    async with serve_console(
        f"sqlite:///{tmp_path}/ledger.db", ManualClock(DAY), registry=registry
    ) as rig:
        async with rig.signed_in("cr-1") as (client, _csrf):
            plan = (await client.get("/api/plan/c001/b1?floor=2")).json()
            assert plan["has_svg"] is True
            res = await client.get("/api/drawing/c001/b1")
            assert res.status_code == 200
            assert res.headers["Content-Type"] == "image/svg+xml"
            assert "sandbox" in res.headers["Content-Security-Policy"]
            assert res.text == drawing
        async with rig.signed_in("stw-m1") as (client, _csrf):
            assert (await client.get("/api/drawing/c001/b1")).status_code == 404
