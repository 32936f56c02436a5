"""Taking a report in: limits, form, photos, then Kafka, then the follow link.

The reporter is told "received" only after Kafka acknowledged the report (acks=all): a report
the page confirmed is never lost. Photos are checked and cleaned off the event loop (Pillow
decoding takes tens of milliseconds) and stored before the report that names them is sent.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol

from community.clock import Clock
from community.config import CommunityConfig
from community.errors import FormRejected, PhotoRejected, Problem, RateLimited
from community.follow import FollowStore
from community.forms import MAX_LEN, read_category, text
from community.forms import read_report as read_report_form
from community.photos import PhotoStore, clean
from community.places import CheckpointPlace, PlaceDirectory
from community.ratelimit import SlidingWindow
from events.reports import (
    HazardReport,
    PatrolCheckIn,
    PhotoRef,
    ReportPlace,
    ReportSource,
)


class ReportSink(Protocol):
    async def send(self, record: HazardReport | PatrolCheckIn) -> None:
        """Return once the record is durable (Kafka acknowledged it); raise otherwise."""
        ...


def new_id() -> str:
    return uuid.uuid4().hex


def new_token() -> str:
    """A follow token: 192 random bits, unguessable (OWASP session-id guidance: >= 64)."""
    return secrets.token_urlsafe(24)


class Intake:
    def __init__(  # noqa: PLR0917 - the intake's collaborators, injected
        self,
        config: CommunityConfig,
        places: PlaceDirectory,
        photos: PhotoStore,
        sink: ReportSink,
        follow: FollowStore,
        clock: Clock,
        ids: Callable[[], str] = new_id,
        tokens: Callable[[], str] = new_token,
    ) -> None:
        self.config, self.places, self.photos, self.sink = config, places, photos, sink
        self.follow, self.clock, self.ids, self.tokens = follow, clock, ids, tokens
        window = config.rate_window_s
        self.by_address = SlidingWindow(config.reports_per_address, window, clock)
        self.by_building = SlidingWindow(config.reports_per_building, window, clock)

    async def report(
        self, compound_id: str, fields: Mapping[str, str], uploads: list[bytes], address: str
    ) -> str:
        """A resident's report; returns the follow token. FormRejected / RateLimited say why."""
        compound = self.places.compound(compound_id)
        if compound is None:
            raise FormRejected([Problem("compound", "compound_unknown")])
        _limit(self.by_address, address)
        self.by_address.hit(address)  # every submission counts: a flood of bad ones too
        now = self.clock.now()
        draft, problems = read_report_form(fields, compound, now)
        refs, photo_problems = await self._photos(uploads, is_required=True)
        problems += photo_problems
        if problems or draft is None:
            raise FormRejected(problems)
        building_key = f"{compound_id}/{draft.place.building_id}"
        _limit(self.by_building, building_key)
        report = HazardReport(
            report_id=self.ids(),
            source=ReportSource.RESIDENT,
            category=draft.category,
            place=draft.place,
            description=draft.description,
            photos=tuple(refs),
            contact=draft.contact,
            reported_at=now,
            received_via="resident-web",
        )
        token = self.tokens()
        self.follow.add(report, token)
        await self.sink.send(report)
        self.by_building.hit(building_key)
        return token

    async def check_in(
        self,
        checkpoint: CheckpointPlace,
        member_id: str,
        fields: Mapping[str, str],
        uploads: list[bytes],
        address: str,
    ) -> tuple[PatrolCheckIn, HazardReport | None]:
        """A patrol's check-in, with a finding (a hazard report) when they found one."""
        now, via = self.clock.now(), f"patrol-web {address}"
        problems = [
            Problem(n, "text_too_long", {"field": n, "max": MAX_LEN[n]})
            for n in ("description", "note")
            if len(text(fields, n)) > MAX_LEN[n]
        ]
        finding = None
        if fields.get("result") == "found":
            finding, found = await self._finding(checkpoint, member_id, fields, uploads, via)
            problems += found
        if problems:
            raise FormRejected(problems)
        checkin = PatrolCheckIn(
            checkin_id=self.ids(),
            round_id=checkpoint.round_id,
            checkpoint_id=checkpoint.checkpoint_id,
            compound_id=checkpoint.compound_id,
            member_id=member_id,
            at=now,
            is_ok=finding is None,
            finding_report_id=finding.report_id if finding else None,
            note=text(fields, "note"),
            received_via=via,
        )
        if finding is not None:  # same key (compound), same partition: the finding comes first
            await self.sink.send(finding)
        await self.sink.send(checkin)
        return checkin, finding

    async def _finding(
        self,
        checkpoint: CheckpointPlace,
        member_id: str,
        fields: Mapping[str, str],
        uploads: list[bytes],
        via: str,
    ) -> tuple[HazardReport | None, list[Problem]]:
        """What the patrol found at the checkpoint, as a hazard report of that place."""
        category, problems = read_category(fields)
        refs, photo_problems = await self._photos(uploads, is_required=True)
        problems += photo_problems
        if problems or category is None:
            return None, problems
        place = ReportPlace(
            compound_id=checkpoint.compound_id,
            building_id=checkpoint.building_id,
            floor=checkpoint.floor,
            checkpoint_id=checkpoint.checkpoint_id,
        )
        return HazardReport(
            report_id=self.ids(),
            source=ReportSource.PATROL,
            category=category,
            place=place,
            description=text(fields, "description"),
            photos=tuple(refs),
            reporter_id=member_id,
            round_id=checkpoint.round_id,
            reported_at=self.clock.now(),
            received_via=via,
        ), []

    async def staff_photo(self, upload: bytes) -> PhotoRef:
        """A signed-in member's photo (e.g. of a rectified place): cleaned and stored."""
        refs, problems = await self._photos([upload], is_required=True)
        if problems:
            raise FormRejected(problems)
        return refs[0]

    async def _photos(
        self, uploads: list[bytes], *, is_required: bool
    ) -> tuple[list[PhotoRef], list[Problem]]:
        if len(uploads) > self.config.max_photos:
            return [], [Problem("photo", "too_many_photos", {"n": self.config.max_photos})]
        if not uploads and is_required:
            return [], [Problem("photo", "photo_required")]
        limits = self.config.photo_limits()
        refs, problems = [], []
        for data in uploads:
            try:
                photo = await asyncio.to_thread(clean, data, limits)
            except PhotoRejected as exc:
                problems.append(Problem("photo", exc.code, dict(exc.params)))
                continue
            await asyncio.to_thread(self.photos.put, photo)
            refs.append(photo.ref)
        return refs, problems


def _limit(window: SlidingWindow, key: str) -> None:
    wait_s = window.retry_after_s(key)
    if wait_s > 0:
        raise RateLimited("rate_limited", minutes=max(1, math.ceil(wait_s / 60)))
