"""Photos from people's phones: checked, cleaned, re-encoded, stored by content.

A photo is accepted only when (1) it is within the size limit, (2) its first bytes are those
of a JPEG, PNG or WebP file, (3) Pillow decodes all of it and finds the same format, and (4)
it has no more pixels than the limit (checked from the header before decoding: a
"decompression bomb" never gets decoded). It is then turned upright by its EXIF orientation,
stripped of every metadata block (EXIF with GPS position and phone model, XMP, ICC: a
resident's home location must not leak, PIPL 个人信息保护法 §6 data minimisation), scaled to
at most `max_side_px` and re-encoded as a baseline JPEG. Its name is the SHA-256 of those
bytes: the same photo twice is stored once.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from community.errors import PhotoRejected
from events.reports import PhotoRef, photo_relpath

# (magic prefix, offset, Pillow's name for the format)
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"WEBP", 8, "WEBP"),  # RIFF....WEBP
)
# Formats phones send that we name in the refusal instead of calling them "not an image".
_KNOWN_UNSUPPORTED = (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif")


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    max_bytes: int = 10 * 1024 * 1024  # a 12-megapixel phone JPEG is 3-6 MB
    max_pixels: int = 50_000_000  # Pillow warns at 89 M; no phone photo needs more
    max_side_px: int = 2048  # enough to read a label on an extinguisher
    jpeg_quality: int = 85


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    ref: PhotoRef
    data: bytes


def sniff(data: bytes) -> str:
    """The format the first bytes claim, or PhotoRejected."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic and (name != "WEBP" or data[:4] == b"RIFF"):
            return name
    if data[4:12] in _KNOWN_UNSUPPORTED:
        raise PhotoRejected("photo_unsupported")
    raise PhotoRejected("photo_not_image")


def clean(data: bytes, limits: PhotoLimits) -> CleanPhoto:
    """Check one upload and return it re-encoded without metadata; PhotoRejected names why."""
    if not data:
        raise PhotoRejected("photo_empty")
    if len(data) > limits.max_bytes:
        raise PhotoRejected("photo_too_large", max_mb=limits.max_bytes // (1024 * 1024))
    claimed = sniff(data)
    image = _decode(data, claimed, limits)
    upright = ImageOps.exif_transpose(image)
    rgb = _flatten(upright)
    rgb.thumbnail((limits.max_side_px, limits.max_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image from the pixels only: no exif, no icc_profile, no xmp is written.
    rgb.save(out, format="JPEG", quality=limits.jpeg_quality, optimize=True)
    body = out.getvalue()
    ref = PhotoRef(
        photo_id=hashlib.sha256(body).hexdigest(),
        width_px=rgb.width,
        height_px=rgb.height,
        size_bytes=len(body),
    )
    return CleanPhoto(ref, body)


def _decode(data: bytes, claimed: str, limits: PhotoLimits) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=[claimed])
        if image.width * image.height > limits.max_pixels:
            raise PhotoRejected("photo_too_many_pixels", max_mp=limits.max_pixels // 1_000_000)
        image.load()  # decodes every byte: a truncated or corrupt file fails here
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRejected("photo_undecodable") from None
    if image.format != claimed:
        raise PhotoRejected("photo_undecodable")
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels, transparent parts on white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


class PhotoStore:
    """The photo directory the console reads: `root/ab/abcdef....jpg` (events.reports)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, photo_id: str) -> Path:
        return self.root / photo_relpath(photo_id)

    def has(self, photo_id: str) -> bool:
        try:
            return self.path(photo_id).is_file()
        except ValueError:
            return False

    def put(self, photo: CleanPhoto) -> Path:
        """Write once, atomically (temporary file, then rename): a reader never sees half."""
        target = self.path(photo.ref.photo_id)
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(photo.data)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
