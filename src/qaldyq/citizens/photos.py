"""Photos from citizens: the type is decided by the content (Pillow opens only JPEG, PNG and
WebP, whatever the file name or declared type says), size and dimensions are limited before
decoding, and the picture is re-encoded from its pixels into a fresh JPEG, which drops EXIF (GPS,
camera, time), XMP, ICC, comments and anything hidden after the image data."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from qaldyq.citizens.config import CitizenSettings
from qaldyq.core.errors import invalid

ACCEPTED = ("JPEG", "PNG", "WEBP")
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    thumb: bytes
    width: int
    height: int
    original_type: str
    sha256: str
    content_type: str = "image/jpeg"


def _fresh(img: Image.Image) -> Image.Image:
    """A new image made from the pixels alone (no info dict, no EXIF, no ICC, no comment)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return Image.frombytes("RGB", img.size, img.tobytes())


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def clean(raw: bytes, pointer: str, s: CitizenSettings) -> CleanPhoto:
    if len(raw) == 0:
        raise invalid(pointer, "The file is empty.", code="empty-file")
    if len(raw) > s.max_photo_bytes:
        raise invalid(pointer, "The photo is larger than {mb} MB.", code="file-too-large", mb=s.max_photo_bytes // (1024 * 1024))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw), formats=list(ACCEPTED))
            fmt = img.format
            width, height = img.size
            if width > s.max_photo_side or height > s.max_photo_side or width * height > s.max_photo_pixels:
                raise invalid(pointer, "The photo is {width}×{height} pixels; at most {side} pixels a side and {mp} megapixels are accepted.",
                              code="image-too-large", width=width, height=height, side=s.max_photo_side, mp=s.max_photo_pixels // 1_000_000)
            img.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError, ValueError):
        raise invalid(pointer, "The file is not a JPEG, PNG or WebP image.", code="not-an-image") from None
    if fmt not in ACCEPTED:
        raise invalid(pointer, "The file is not a JPEG, PNG or WebP image.", code="not-an-image")
    try:
        img = ImageOps.exif_transpose(img)  # keep the photo upright once its orientation tag is gone
    except Exception:  # a broken orientation tag: keep the pixels as they are
        pass
    img = _fresh(img)
    img.thumbnail((s.stored_side, s.stored_side), Image.Resampling.LANCZOS)
    data = _jpeg(img, s.jpeg_quality)
    small = img.copy()
    small.thumbnail((s.thumb_side, s.thumb_side), Image.Resampling.LANCZOS)
    return CleanPhoto(data=data, thumb=_jpeg(small, 80), width=img.width, height=img.height, original_type=fmt,
                      sha256=hashlib.sha256(data).hexdigest())
