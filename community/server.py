"""The public side over HTTP (aiohttp): the resident's report page behind each building's QR
code, the follow link, the staff sign-in and the checkpoint pages.

Responses carry a strict Content-Security-Policy (no script at all, styles from this site only)
and `Referrer-Policy: no-referrer`, so a follow link's token never leaks through a Referer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from community.config import CommunityConfig
from community.errors import FormRejected, RateLimited
from community.follow import FollowStore
from community.i18n import pick, t
from community.intake import Intake
from community.pages import STATIC_DIR, Page, follow, message, report_form, thanks
from community.patrol_routes import BadForm, FormTooLarge, PatrolRoutes
from community.places import PlaceDirectory
from community.staff import SessionSigner, StaffDirectory

log = logging.getLogger(__name__)

_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Form:
    fields: dict[str, str]
    photos: list[bytes]


class CommunitySite:
    def __init__(  # noqa: PLR0917 - the site's collaborators, injected
        self,
        config: CommunityConfig,
        places: PlaceDirectory,
        intake: Intake,
        follow_store: FollowStore,
        staff: StaffDirectory,
        signer: SessionSigner,
    ) -> None:
        self.config, self.places, self.intake, self.follow = config, places, intake, follow_store
        self.app = web.Application(middlewares=[_security_headers])
        self.patrol = PatrolRoutes(self, staff, signer)
        self.app.add_routes(
            [
                web.get("/healthz", self._health),
                web.get("/static/site.css", self._css),
                web.get("/r/{compound_id}", self._report_page),
                web.get("/r/{compound_id}/{building_id}", self._report_page),
                web.post("/r/{compound_id}", self._report_post),
                web.post("/r/{compound_id}/{building_id}", self._report_post),
                web.get("/f/{token}", self._follow_page),
                *self.patrol.routes(),
            ]
        )

    # -- shared helpers ---------------------------------------------------------------------
    def page(self, request: web.Request) -> Page:
        lang = pick(request.query.get("lang"), request.cookies.get("lang"))
        other = "en" if lang == "zh-CN" else "zh-CN"
        return Page(lang, f"{request.path}?lang={other}")

    def html(self, request: web.Request, body: str, status: int = 200) -> web.Response:
        response = web.Response(text=body, content_type="text/html", status=status)
        if request.query.get("lang") in ("zh-CN", "en"):
            response.set_cookie(
                "lang", request.query["lang"], max_age=365 * 86400, httponly=True, samesite="Lax"
            )
        return response

    def address(self, request: web.Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if self.config.trust_forwarded_for and forwarded:
            return forwarded.split(",")[-1].strip()  # the hop our own proxy added
        return request.remote or "?"

    async def read_form(self, request: web.Request) -> Form:
        """Text fields and photos of a multipart form, each within its limit; a photo over the
        limit is kept one byte too long so the photo check names it "too large"."""
        form = Form({}, [])
        if request.content_type == "application/x-www-form-urlencoded":  # a form without files
            posted = await request.post()
            form.fields = {k: v[:8192] for k, v in posted.items() if isinstance(v, str)}
            return form
        try:
            reader = await request.multipart()
            total = 0
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                is_photo = part.name == "photo" and part.filename is not None
                keep = self.config.photo_limits().max_bytes + 1 if is_photo else 8192
                data, size = await _read_part(part, keep, self.config.max_request_bytes - total)
                total += size
                if is_photo and (data or part.filename):
                    form.photos.append(data)
                elif not is_photo and part.name:
                    form.fields[part.name] = data.decode("utf-8", errors="replace")
        except (ValueError, AssertionError, KeyError) as exc:  # not multipart, or malformed
            raise BadForm from exc
        return form

    def refusal(
        self, request: web.Request, exc: RateLimited | FormTooLarge | BadForm
    ) -> web.Response:
        page = self.page(request)
        if isinstance(exc, RateLimited):
            text = t(page.lang, exc.code, **exc.params)
            return self.html(request, message(page, "app_title", text), 429)
        if isinstance(exc, BadForm):
            return self.html(request, message(page, "app_title", t(page.lang, "bad_request")), 400)
        text = t(page.lang, "request_too_large", max_mb=self.config.max_request_bytes >> 20)
        return self.html(request, message(page, "app_title", text), 413)

    # -- resident pages ---------------------------------------------------------------------
    async def _health(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _css(self, _request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(STATIC_DIR / "site.css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def _report_page(self, request: web.Request) -> web.Response:
        page = self.page(request)
        compound = self.places.compound(request.match_info["compound_id"])
        if compound is None:
            return self.html(request, message(page, "app_title", t(page.lang, "not_found")), 404)
        body = report_form(
            page,
            compound,
            request.match_info.get("building_id"),
            values={},
            problems=[],
            max_photos=self.config.max_photos,
            max_mb=self.config.max_photo_mb,
        )
        return self.html(request, body)

    async def _report_post(self, request: web.Request) -> web.Response:
        page = self.page(request)
        compound_id = request.match_info["compound_id"]
        compound = self.places.compound(compound_id)
        if compound is None:
            return self.html(request, message(page, "app_title", t(page.lang, "not_found")), 404)
        form = Form({}, [])
        try:
            form = await self.read_form(request)
            token = await self.intake.report(
                compound_id, form.fields, form.photos, self.address(request)
            )
        except (RateLimited, FormTooLarge, BadForm) as exc:
            return self.refusal(request, exc)
        except FormRejected as exc:
            body = report_form(
                page,
                compound,
                request.match_info.get("building_id"),
                values=form.fields,
                problems=exc.problems,
                max_photos=self.config.max_photos,
                max_mb=self.config.max_photo_mb,
            )
            return self.html(request, body, 422)
        except Exception:  # Kafka did not take it: say so, the resident can send it again
            log.exception("a resident's report could not be sent")
            return self.html(request, message(page, "app_title", t(page.lang, "unavailable")), 503)
        url = f"{self.config.public_url.rstrip('/')}/f/{token}"
        return self.html(request, thanks(page, url), 201)

    async def _follow_page(self, request: web.Request) -> web.Response:
        page = self.page(request)
        view = self.follow.view(request.match_info["token"])
        if view is None:
            text = t(page.lang, "follow_unknown")
            return self.html(request, message(page, "follow_heading", text), 404)
        compound = self.places.compound(view.compound_id)
        return self.html(request, follow(page, view, compound))


async def _read_part(part: BodyPartReader, keep: int, budget: int) -> tuple[bytes, int]:
    """The first `keep` bytes of a part and its size; FormTooLarge past the request's budget
    (checked while reading: a huge upload is cut off, not drained)."""
    chunks, size = [], 0
    while chunk := await part.read_chunk(64 * 1024):
        if size < keep:
            chunks.append(chunk[: keep - size])
        size += len(chunk)
        if size > budget:
            raise FormTooLarge
    return b"".join(chunks), size


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
