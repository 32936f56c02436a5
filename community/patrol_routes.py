"""Staff on the public side: sign-in and sign-out, the checkpoint page behind each
checkpoint's QR code (check in, record a finding with photos), and the photo upload a signed-in
member uses for evidence (e.g. a rectified place)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING

from aiohttp import web

from community.errors import FormRejected, Problem
from community.i18n import t
from community.pages import message
from community.ratelimit import SlidingWindow
from community.staff import COOKIE, SessionSigner, StaffDirectory, StaffMember
from community.staff_pages import checkin_done, checkin_form, login

if TYPE_CHECKING:
    from community.server import CommunitySite


class FormTooLarge(Exception):
    """More than the request may carry (every photo at its limit and the text fields)."""


class BadForm(Exception):
    """Not a multipart form, or a malformed one."""


log = logging.getLogger(__name__)
_SIGN_IN_WINDOW_S = 300.0  # failures per address per 5 minutes (OWASP authentication cheat sheet)


class PatrolRoutes:
    def __init__(self, site: CommunitySite, staff: StaffDirectory, signer: SessionSigner) -> None:
        self.site, self.staff, self.signer = site, staff, signer
        config = site.config
        self.failures = SlidingWindow(config.sign_in_failures, _SIGN_IN_WINDOW_S, signer.clock)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/login", self._login),
            web.post("/logout", self._logout),
            web.get("/p/{checkpoint_id}", self._checkpoint_page),
            web.post("/p/{checkpoint_id}", self._checkpoint_post),
            web.post("/staff/photos", self._photo),
        ]

    def signed_in(self, request: web.Request) -> StaffMember | None:
        member_id = self.signer.member_id(request.cookies.get(COOKIE))
        return self.staff.member(member_id) if member_id else None

    async def _login(self, request: web.Request) -> web.StreamResponse:
        page = self.site.page(request)
        form = await request.post()
        member_id, password = str(form.get("member_id", "")), str(form.get("password", ""))
        next_url = str(form.get("next", ""))
        if not next_url.startswith("/p/"):  # never an open redirect
            next_url = "/"
        address = self.site.address(request)
        wait_s = self.failures.retry_after_s(address)
        if wait_s > 0:
            problem = Problem("member_id", "throttled", {"seconds": round(wait_s)})
            return self.site.html(request, login(page, next_url, problem, member_id), 429)
        # scrypt is slow on purpose: off the event loop.
        member = await asyncio.to_thread(self.staff.verify, member_id, password)
        if member is None:
            self.failures.hit(address)
            log.warning("patrol sign-in refused for %r from %s", member_id[:64], address)
            problem = Problem("member_id", "login_failed")
            return self.site.html(request, login(page, next_url, problem, member_id), 401)
        response = web.HTTPSeeOther(next_url)
        response.set_cookie(
            COOKIE,
            self.signer.issue(member.member_id),
            httponly=True,
            samesite="Lax",
            secure=self.site.config.public_url.startswith("https"),
            max_age=int(self.site.config.session_ttl_s),
        )
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        cookie = request.cookies.get(COOKIE)
        if not self.signer.is_form_token_ok(cookie, str(form.get("form_token", ""))):
            raise web.HTTPForbidden(text="form token")
        response = web.HTTPSeeOther("/")
        response.del_cookie(COOKIE)
        return response

    async def _checkpoint_page(self, request: web.Request) -> web.Response:
        page = self.site.page(request)
        checkpoint = self.site.places.checkpoints.get(request.match_info["checkpoint_id"])
        if checkpoint is None:
            text = t(page.lang, "checkpoint_unknown")
            return self.site.html(request, message(page, "checkin_heading", text), 404)
        member = self.signed_in(request)
        if member is None:
            return self.site.html(request, login(page, request.path, None))
        if member.member_id not in checkpoint.patrollers:
            text = t(page.lang, "not_on_round")
            return self.site.html(request, message(page, "checkin_heading", text), 403)
        token = self.signer.form_token(request.cookies.get(COOKIE, ""))
        body = checkin_form(
            page,
            checkpoint,
            member,
            form_token=token,
            problems=[],
            values={},
            limits=(self.site.config.max_photos, self.site.config.max_photo_mb),
        )
        return self.site.html(request, body)

    async def _checkpoint_post(self, request: web.Request) -> web.Response:
        page = self.site.page(request)
        checkpoint = self.site.places.checkpoints.get(request.match_info["checkpoint_id"])
        member = self.signed_in(request)
        if checkpoint is None or member is None:
            return await self._checkpoint_page(request)
        if member.member_id not in checkpoint.patrollers:
            text = t(page.lang, "not_on_round")
            return self.site.html(request, message(page, "checkin_heading", text), 403)
        try:
            form = await self.site.read_form(request)
        except (FormTooLarge, BadForm) as exc:
            return self.site.refusal(request, exc)
        cookie = request.cookies.get(COOKIE, "")
        if not self.signer.is_form_token_ok(cookie, form.fields.get("form_token")):
            text = t(page.lang, "form_expired")
            return self.site.html(request, message(page, "checkin_heading", text), 403)
        address = self.site.address(request)
        try:
            checkin, finding = await self.site.intake.check_in(
                checkpoint, member.member_id, form.fields, form.photos, address
            )
        except FormRejected as exc:
            body = checkin_form(
                page,
                checkpoint,
                member,
                form_token=self.signer.form_token(cookie),
                problems=exc.problems,
                values=form.fields,
                limits=(self.site.config.max_photos, self.site.config.max_photo_mb),
            )
            return self.site.html(request, body, 422)
        body = checkin_done(page, checkpoint, checkin.at, finding is not None)
        return self.site.html(request, body, 201)

    async def _photo(self, request: web.Request) -> web.Response:
        """A signed-in member's evidence photo: JSON in the caller's language."""
        page = self.site.page(request)
        cookie = request.cookies.get(COOKIE)
        if self.signed_in(request) is None:
            return web.json_response({"error": "not_signed_in"}, status=401)
        if not self.signer.is_form_token_ok(cookie, request.headers.get("X-Form-Token")):
            return web.json_response({"error": "form_expired"}, status=403)
        try:
            form = await self.site.read_form(request)
        except (FormTooLarge, BadForm):
            return web.json_response({"error": "request_too_large"}, status=413)
        try:
            ref = await self.site.intake.staff_photo(form.photos[0] if form.photos else b"")
        except FormRejected as exc:
            problem = exc.problems[0]
            text = t(page.lang, problem.code, **problem.params)
            return web.json_response({"error": problem.code, "message": text}, status=422)
        return web.json_response(ref.model_dump(mode="json"), status=201)


def random_secret() -> bytes:
    return secrets.token_bytes(32)
