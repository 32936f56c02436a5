"""Test pictures made on the spot with Pillow: a phone-like JPEG with EXIF (GPS position,
camera model, orientation), a PNG with transparency, and broken files."""

from __future__ import annotations

import io

from PIL import Image

ORIENTATION, MAKE, MODEL, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x8825


def phone_jpeg(width: int = 64, height: int = 32, orientation: int = 6) -> bytes:
    """A JPEG as phones write it: sideways pixels with an orientation tag, and a GPS fix."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2):  # a left half in another colour, to see the rotation
        for y in range(height):
            image.putpixel((x, y), (20, 20, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Model X"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 13.0, 49.0), 3: "E", 4: (121.0, 28.0, 25.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_alpha(size: int = 40) -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.putpixel((1, 1), (255, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def large_png(width: int, height: int) -> bytes:
    """A big canvas that compresses to a few kilobytes (a decompression bomb in miniature)."""
    out = io.BytesIO()
    Image.new("L", (width, height), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
TEXT_FILE = "这不是图片 / not a picture\n".encode() * 20
