"""The resident's pages as server-rendered HTML: they work on any phone browser, with no
script, no app and no external asset. Every value is escaped; every field has a label; errors
are listed at the top (role=alert) with links to their fields and repeated next to each field
(WCAG 2.1 §3.3.1 error identification, §1.3.1 labels, §3.1.1 page language).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from community.errors import Problem
from community.follow import FollowView
from community.i18n import t
from community.places import CompoundPlace
from events.reports import CATEGORY_LABELS, HazardCategory

STATIC_DIR = Path(__file__).parent / "static"
# The residents' clock (the compounds are in China; DOMAIN.md).
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Page:
    lang: str
    switch_url: str  # the same page in the other language


def layout(page: Page, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{page.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(t(page.lang, 'app_title'))}</title>"
        '<link rel="stylesheet" href="/static/site.css"></head><body>'
        f'<header><span class="brand">{escape(t(page.lang, "app_title"))}</span>'
        f'<a href="{escape(page.switch_url)}" hreflang="{_other(page.lang)}" '
        f'lang="{_other(page.lang)}">{escape(t(page.lang, "lang_switch"))}</a></header>'
        f"<main>{body}</main></body></html>"
    )


def _other(lang: str) -> str:
    return "en" if lang == "zh-CN" else "zh-CN"


def local_time(at: datetime) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def category_label(lang: str, category: HazardCategory) -> str:
    zh, en = CATEGORY_LABELS[category]
    return en if lang == "en" else zh


def floor_label(lang: str, floor: int) -> str:
    key = "floor_n" if floor > 0 else "floor_basement"
    return t(lang, key, n=abs(floor))


def error_summary(lang: str, problems: list[Problem]) -> str:
    if not problems:
        return ""
    items = "".join(
        f'<li><a href="#{escape(p.field)}">{escape(t(lang, p.code, **p.params))}</a></li>'
        for p in problems
    )
    heading = escape(t(lang, "errors_heading"))
    return (
        f'<div class="summary" role="alert" tabindex="-1"><h2>{heading}</h2><ul>{items}</ul></div>'
    )


def field_errors(lang: str, problems: list[Problem], name: str) -> tuple[str, str]:
    """(attributes for the input, the messages under it) for the field `name`."""
    mine = [p for p in problems if p.field == name]
    if not mine:
        return "", ""
    text = " ".join(t(lang, p.code, **p.params) for p in mine)
    attrs = f' aria-invalid="true" aria-describedby="{name}-error"'
    return attrs, f'<p class="error" id="{name}-error">{escape(text)}</p>'


def category_fieldset(lang: str, problems: list[Problem], chosen: str) -> str:
    attrs, errors = field_errors(lang, problems, "category")
    options = "".join(
        f'<label class="choice"><input type="radio" name="category" value="{c.value}"'
        f"{' checked' if chosen == c.value else ''}{attrs if i == 0 else ''}"
        f"{' id=category' if i == 0 else ''} required> {escape(category_label(lang, c))}</label>"
        for i, c in enumerate(HazardCategory)
    )
    legend = escape(t(lang, "field_category"))
    return f"<fieldset><legend>{legend}</legend>{errors}{options}</fieldset>"


def photo_input(lang: str, problems: list[Problem], max_photos: int, max_mb: int) -> str:
    attrs, errors = field_errors(lang, problems, "photo")
    hint = escape(t(lang, "photo_hint", n=max_photos, mb=max_mb))
    return (
        f'<label for="photo">{escape(t(lang, "field_photo"))}</label>'
        f'<p class="hint" id="photo-hint">{hint}</p>{errors}'
        '<input type="file" id="photo" name="photo" accept="image/jpeg,image/png,image/webp" '
        f'multiple required aria-describedby="photo-hint"{attrs}>'
    )


def text_input(
    lang: str,
    problems: list[Problem],
    name: str,
    label_key: str,
    value: str,
    *,
    kind: str = "text",
    extra: str = "",
) -> str:
    attrs, errors = field_errors(lang, problems, name)
    return (
        f'<label for="{name}">{escape(t(lang, label_key))}</label>{errors}'
        f'<input type="{kind}" id="{name}" name="{name}" value="{escape(value)}"{attrs}{extra}>'
    )


def place_selects(
    lang: str, problems: list[Problem], compound: CompoundPlace, chosen: str, floor: str
) -> str:
    """The building (from the registry) and floor (1..its floors, two basement levels)."""
    b_attrs, b_errors = field_errors(lang, problems, "building")
    buildings = "".join(
        f'<option value="{escape(b.building_id)}"{" selected" if b.building_id == chosen else ""}>'
        f"{escape(b.label(lang))}</option>"
        for b in compound.buildings
    )
    building = compound.building(chosen)
    f_attrs, f_errors = field_errors(lang, problems, "floor")
    floors = "".join(
        f'<option value="{n}"{" selected" if floor == str(n) else ""}>'
        f"{escape(floor_label(lang, n))}</option>"
        for n in range(-2, (building.floors if building else 0) + 1)
        if n != 0
    )
    return (
        f'<label for="building">{escape(t(lang, "field_building"))}</label>{b_errors}'
        f'<select id="building" name="building" required{b_attrs}>'
        f'<option value="">{escape(t(lang, "choose"))}</option>{buildings}</select>'
        f'<label for="floor">{escape(t(lang, "field_floor"))}</label>{f_errors}'
        f'<select id="floor" name="floor"{f_attrs}>'
        f'<option value="unknown">{escape(t(lang, "floor_unknown"))}</option>{floors}</select>'
    )


def report_form(
    page: Page,
    compound: CompoundPlace,
    building_id: str | None,
    *,
    values: Mapping[str, str],
    problems: list[Problem],
    max_photos: int,
    max_mb: int,
) -> str:
    lang = page.lang
    v = values.get
    chosen = v("building") or building_id or ""
    building = compound.building(chosen)
    place = compound.label(lang) + (f" · {building.label(lang)}" if building else "")
    body = (
        f"<h1>{escape(t(lang, 'report_heading'))}</h1>"
        f'<p class="intro">{escape(t(lang, "report_intro"))}</p>'
        f"<p>{escape(t(lang, 'place_here', place=place))}</p>"
        f"{error_summary(lang, problems)}"
        '<form method="post" enctype="multipart/form-data" novalidate>'
        f"{category_fieldset(lang, problems, v('category', ''))}"
        f"{place_selects(lang, problems, compound, chosen, v('floor', ''))}"
        f"{text_input(lang, problems, 'unit', 'field_unit', v('unit', ''), extra=' maxlength=16')}"
        f"{text_input(lang, problems, 'detail', 'field_detail', v('detail', ''))}"
        f'<label for="description">{escape(t(lang, "field_description"))}</label>'
        f'<textarea id="description" name="description" maxlength="500">'
        f"{escape(v('description', ''))}</textarea>"
        f"{photo_input(lang, problems, max_photos, max_mb)}"
        f"{contact_fieldset(lang, problems, values)}"
        f'<button type="submit">{escape(t(lang, "submit"))}</button></form>'
    )
    return layout(page, t(lang, "report_heading"), body)


def contact_fieldset(lang: str, problems: list[Problem], values: Mapping[str, str]) -> str:
    c_attrs, c_errors = field_errors(lang, problems, "consent")
    checked = " checked" if values.get("consent") == "yes" else ""
    return (
        f"<fieldset><legend>{escape(t(lang, 'field_contact'))}</legend>"
        f"{text_input(lang, problems, 'name', 'field_name', values.get('name', ''))}"
        f"{text_input(lang, problems, 'phone', 'field_phone', values.get('phone', ''), kind='tel')}"
        f"{c_errors}"
        f'<label class="choice" for="consent"><input type="checkbox" id="consent" name="consent"'
        f' value="yes"{checked}{c_attrs}> {escape(t(lang, "consent"))}</label></fieldset>'
    )


def thanks(page: Page, follow_url: str) -> str:
    lang = page.lang
    body = (
        f"<h1>{escape(t(lang, 'thanks_heading'))}</h1>"
        f"<p>{escape(t(lang, 'thanks_follow'))}</p>"
        f'<p class="link"><a id="follow-link" href="{escape(follow_url)}">'
        f"{escape(follow_url)}</a></p>"
    )
    return layout(page, t(lang, "thanks_heading"), body)


def follow(page: Page, view: FollowView, compound: CompoundPlace | None) -> str:
    lang = page.lang
    place = [compound.label(lang) if compound else view.compound_id]
    building = compound.building(view.building_id) if compound else None
    if building is not None:
        place.append(building.label(lang))
    if view.floor is not None:
        place.append(floor_label(lang, view.floor))
    if view.unit:
        place.append(view.unit)
    notes = []
    if view.state == "assigned" and view.deadline_at is not None:
        notes.append(t(lang, "deadline", at=local_time(view.deadline_at)))
    if view.escalation in ("street", "district"):
        notes.append(t(lang, f"escalated_{view.escalation}"))
    if view.state == "dismissed" and view.reason:
        notes.append(t(lang, "dismiss_reason", reason=view.reason))
    rows = [
        (t(lang, "category"), category_label(lang, HazardCategory(view.category))),
        (t(lang, "place"), " · ".join(place)),
        (t(lang, "reported_at"), local_time(view.reported_at)),
        (t(lang, "updated_at"), local_time(view.updated_at)),
    ]
    body = (
        f"<h1>{escape(t(lang, 'follow_heading'))}</h1>"
        f'<p class="status {escape(view.state)}" id="status" data-state="{escape(view.state)}">'
        f"{escape(t(lang, f'status_{view.state}'))}</p>"
        + "".join(f"<p>{escape(n)}</p>" for n in notes)
        + "<dl>"
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        + "</dl>"
    )
    return layout(page, t(lang, "follow_heading"), body)


def message(page: Page, title_key: str, text: str) -> str:
    body = f'<h1>{escape(t(page.lang, title_key))}</h1><p role="alert">{escape(text)}</p>'
    return layout(page, t(page.lang, title_key), body)
