"""Photos from phones: refused when too large or not images (by magic bytes AND by decoding),
with a clear message in zh-CN and English; accepted ones lose their EXIF (GPS!), stand upright
and are stored once under their SHA-256."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from community.errors import PhotoRejected
from community.i18n import t
from community.photos import PhotoLimits, PhotoStore, clean
from events.reports import photo_relpath

from .images import HEIC_HEADER, TEXT_FILE, large_png, phone_jpeg, png_with_alpha

LIMITS = PhotoLimits(max_bytes=200_000, max_pixels=1_000_000, max_side_px=512)


def test_exif_is_stripped_and_the_photo_turned_upright() -> None:
    raw = phone_jpeg(64, 32, orientation=6)
    assert Image.open(io.BytesIO(raw)).getexif()  # the input really carries EXIF
    photo = clean(raw, LIMITS)
    out = Image.open(io.BytesIO(photo.data))
    assert out.format == "JPEG"
    assert dict(out.getexif()) == {}
    assert "exif" not in out.info
    assert b"PhoneMaker" not in photo.data
    assert b"GPS" not in photo.data
    assert (out.width, out.height) == (32, 64)  # orientation 6: rotated a quarter turn
    assert (photo.ref.width_px, photo.ref.height_px) == (32, 64)
    assert photo.ref.photo_id == hashlib.sha256(photo.data).hexdigest()
    assert photo.ref.size_bytes == len(photo.data)


def test_transparency_lands_on_white_and_big_photos_are_scaled() -> None:
    assert clean(png_with_alpha(), LIMITS).ref.width_px == 40
    scaled = clean(large_png(900, 600), LIMITS)
    assert (scaled.ref.width_px, scaled.ref.height_px) == (512, 341)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "photo_empty"),
        (b"\xff\xd8\xff" + b"\x00" * 200_001, "photo_too_large"),
        (TEXT_FILE, "photo_not_image"),
        (b"GIF89a" + b"\x00" * 100, "photo_not_image"),
        (HEIC_HEADER, "photo_unsupported"),
        (phone_jpeg()[:300], "photo_undecodable"),  # truncated in the middle
        (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "photo_undecodable"),
        (b"\xff\xd8\xff" + png_with_alpha()[3:], "photo_undecodable"),  # JPEG magic, PNG body
        (large_png(1200, 1000), "photo_too_many_pixels"),
    ],
)
def test_bad_photos_are_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(PhotoRejected) as caught:
        clean(data, LIMITS)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("code", "params", "zh", "en"),
    [
        (
            "photo_too_large",
            {"max_mb": 10},
            "照片太大：每张不能超过 10 MB。",
            "The photo is too large: at most 10 MB each.",
        ),
        ("photo_not_image", {}, "上传的文件不是图片", "The file is not a picture"),
        ("photo_undecodable", {}, "照片已损坏", "The photo is damaged"),
        ("photo_unsupported", {}, "HEIC", "HEIC"),
    ],
)
def test_refusals_read_clearly_in_both_languages(
    code: str, params: dict[str, object], zh: str, en: str
) -> None:
    assert zh in t("zh-CN", code, **params)
    assert en in t("en", code, **params)


def test_the_store_names_photos_by_content_and_writes_once(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    photo = clean(phone_jpeg(), LIMITS)
    path = store.put(photo)
    assert path == tmp_path / "photos" / photo_relpath(photo.ref.photo_id)
    assert path.read_bytes() == photo.data
    assert store.put(clean(phone_jpeg(), LIMITS)) == path  # the same picture again
    assert store.has(photo.ref.photo_id)
    assert not store.has("0" * 64)
    assert not store.has("../../etc/passwd")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
