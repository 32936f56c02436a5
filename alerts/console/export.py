"""The 台账 export (issue 11.8, issue 18.4): Excel (.xlsx, openpyxl) with one sheet per
record kind -- incidents, maintenance work orders (维保), hazards (隐患), patrols (巡查) -- and
CSV of one of them; headers in the member's language (zh-CN first).

Every cell is text or a number, never a formula: a field a resident or a device wrote that
starts with = + - @ is prefixed with an apostrophe (OWASP "CSV injection"), so opening the
file in Excel or WPS runs nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from alerts.console.i18n import text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Sheet:
    key: str  # export.sheet.<key> in the catalogue, and the CSV's ?sheet=
    headers: tuple[str, ...]  # catalogue keys
    rows: list[list[str]]


def safe(value: object) -> str:
    """A cell's text that no spreadsheet reads as a formula."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def to_xlsx(sheets: Sequence[Sheet], lang: str) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook has one sheet
    book.remove(first)
    for sheet in sheets:
        ws = book.create_sheet(text(lang, f"export.sheet.{sheet.key}")[:31])
        ws.append([text(lang, h) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([safe(v) for v in row])
        ws.freeze_panes = "A2"
        for column in ws.columns:
            widest = max((len(str(c.value or "")) for c in column), default=8)
            ws.column_dimensions[column[0].column_letter].width = min(48, max(10, widest + 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(sheet: Sheet, lang: str) -> bytes:
    """UTF-8 with a byte-order mark: Excel on a Chinese Windows opens it as UTF-8 then."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([text(lang, h) for h in sheet.headers])
    writer.writerows([[safe(v) for v in row] for row in sheet.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def local(at: datetime | None, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") if at else ""
