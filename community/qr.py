"""QR codes (segno, pure Python): one per building pointing at its report page with the
compound and building filled in, one per patrol checkpoint pointing at its check-in page; a
printable sheet with every code and its label (print it, laminate it, put it up by the lift).

Error correction at least level M (ISO/IEC 18004 §4.9: ~15 % of the symbol may be lost; segno
raises it when the symbol has room): a code in a stairwell gets scratched and dirty.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import segno

from community.places import PlaceDirectory


@dataclass(frozen=True, slots=True)
class QrCode:
    kind: str  # building | checkpoint
    ident: str  # c001-b1, or the checkpoint id
    label: str
    url: str


def building_url(public_url: str, compound_id: str, building_id: str) -> str:
    return f"{public_url.rstrip('/')}/r/{compound_id}/{building_id}"


def checkpoint_url(public_url: str, checkpoint_id: str) -> str:
    return f"{public_url.rstrip('/')}/p/{checkpoint_id}"


def codes(places: PlaceDirectory, public_url: str) -> list[QrCode]:
    out = [
        QrCode(
            "building",
            f"{c.compound_id}-{b.building_id}",
            f"{c.name} {b.name} 隐患随手拍",
            building_url(public_url, c.compound_id, b.building_id),
        )
        for c in places.compounds.values()
        for b in c.buildings
    ]
    out += [
        QrCode(
            "checkpoint",
            cp.checkpoint_id,
            f"{cp.round_name} · {cp.name}",
            checkpoint_url(public_url, cp.checkpoint_id),
        )
        for cp in places.checkpoints.values()
    ]
    return out


def write_codes(found: list[QrCode], out_dir: Path, *, is_png: bool = False) -> list[Path]:
    """One SVG (and PNG) per code, and `index.html`: the printable sheet."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, cells = [], []
    for code in found:
        qr = segno.make_qr(code.url, error="m")
        svg = out_dir / f"{code.kind}-{code.ident}.svg"
        qr.save(str(svg), kind="svg", scale=4, border=4, title=code.label)
        written.append(svg)
        if is_png:
            png = svg.with_suffix(".png")
            qr.save(str(png), kind="png", scale=8, border=4)
            written.append(png)
        cells.append(
            f"<figure>{qr.svg_inline(scale=4, border=4)}<figcaption>{escape(code.label)}"
            f"<br><small>{escape(code.url)}</small></figcaption></figure>"
        )
    sheet = out_dir / "index.html"
    sheet.write_text(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>QR codes</title>'
        "<style>body{font-family:sans-serif}figure{display:inline-block;width:45%;margin:1em;"
        "text-align:center;page-break-inside:avoid}svg{width:60%;height:auto}</style>"
        + "".join(cells)
        + "</html>\n",
        encoding="utf-8",
    )
    written.append(sheet)
    return written
