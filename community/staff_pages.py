"""The patrol pages: sign-in, then the check-in form of the scanned checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape

from community.errors import Problem
from community.i18n import t
from community.pages import (
    Page,
    category_fieldset,
    error_summary,
    field_errors,
    layout,
    local_time,
    photo_input,
    text_input,
)
from community.places import CheckpointPlace
from community.staff import StaffMember

_USER = ' required autocomplete="username"'


def login(page: Page, next_url: str, problem: Problem | None, member_id: str = "") -> str:
    lang = page.lang
    problems = [problem] if problem else []
    body = (
        f"<h1>{escape(t(lang, 'login_heading'))}</h1>{error_summary(lang, problems)}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        f"{text_input(lang, problems, 'member_id', 'member_id', member_id, extra=_USER)}"
        f'<label for="password">{escape(t(lang, "password"))}</label>'
        '<input type="password" id="password" name="password" required '
        'autocomplete="current-password">'
        f'<button type="submit" id="sign-in">{escape(t(lang, "sign_in"))}</button></form>'
    )
    return layout(page, t(lang, "login_heading"), body)


def checkin_form(
    page: Page,
    checkpoint: CheckpointPlace,
    staff: StaffMember,
    *,
    form_token: str,
    problems: list[Problem],
    values: Mapping[str, str],
    limits: tuple[int, int],
) -> str:
    lang = page.lang
    found = values.get("result") == "found"
    n_attrs, n_errors = field_errors(lang, problems, "note")
    body = (
        f"<h1>{escape(t(lang, 'checkin_heading'))}</h1>"
        f"<p>{escape(t(lang, 'signed_in_as', name=staff.name))}</p>"
        f"<dl><dt>{escape(t(lang, 'checkin_round'))}</dt>"
        f"<dd>{escape(checkpoint.round_label(lang))}</dd>"
        f"<dt>{escape(t(lang, 'checkin_point'))}</dt><dd>{escape(checkpoint.label(lang))}</dd></dl>"
        f"{error_summary(lang, problems)}"
        '<form method="post" enctype="multipart/form-data" novalidate>'
        f'<input type="hidden" name="form_token" value="{escape(form_token)}">'
        f"<fieldset><legend>{escape(t(lang, 'checkin_result'))}</legend>"
        f'<label class="choice"><input type="radio" name="result" value="ok" id="result"'
        f"{'' if found else ' checked'}> {escape(t(lang, 'checkin_ok'))}</label>"
        f'<label class="choice"><input type="radio" name="result" value="found"'
        f"{' checked' if found else ''}> {escape(t(lang, 'checkin_found'))}</label></fieldset>"
        f'<p class="hint">{escape(t(lang, "checkin_hazard_hint"))}</p>'
        f"{category_fieldset(lang, problems, values.get('category', '')).replace(' required', '')}"
        f'<label for="description">{escape(t(lang, "field_description"))}</label>'
        f'<textarea id="description" name="description" maxlength="500">'
        f"{escape(values.get('description', ''))}</textarea>"
        f"{photo_input(lang, problems, *limits).replace(' required', '')}"
        f'<label for="note">{escape(t(lang, "checkin_note"))}</label>{n_errors}'
        f'<input type="text" id="note" name="note" maxlength="200"{n_attrs} '
        f'value="{escape(values.get("note", ""))}">'
        f'<button type="submit" id="check-in">{escape(t(lang, "checkin_submit"))}</button></form>'
        '<form method="post" action="/logout">'
        f'<input type="hidden" name="form_token" value="{escape(form_token)}">'
        f'<button type="submit" class="secondary">{escape(t(lang, "sign_out"))}</button></form>'
    )
    return layout(page, t(lang, "checkin_heading"), body)


def checkin_done(page: Page, checkpoint: CheckpointPlace, at: datetime, has_finding: bool) -> str:
    lang = page.lang
    text = t(lang, "checkin_done", point=checkpoint.label(lang), at=local_time(at))
    extra = f"<p>{escape(t(lang, 'checkin_done_finding'))}</p>" if has_finding else ""
    body = (
        f"<h1>{escape(t(lang, 'checkin_heading'))}</h1>"
        f'<p role="status" id="done">{escape(text)}</p>{extra}'
    )
    return layout(page, t(lang, "checkin_heading"), body)
