"""Fixtures of the citizen channel: photos with metadata, solved proof-of-work challenges, and a
helper that submits a report through the API as a phone app would."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import pytest
from PIL import Image

from qaldyq.citizens import pow, service
from qaldyq.citizens.config import citizen_settings
from qaldyq.core.database import utcnow

SECRET = "test-secret-not-for-production"  # the `settings` fixture's secret
ASTANA = (51.16, 71.47)
ALMATY = (43.25, 76.92)
_device = itertools.count(1)


def image_bytes(fmt="JPEG", size=(640, 480), color=(120, 140, 90), gps=False, **save) -> bytes:
    img = Image.new("RGBA" if fmt == "PNG" else "RGB", size, color)
    buf = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "SpyCam"  # Make
        exif[0x0132] = "2026:05:01 10:00:00"  # DateTime
        g = exif.get_ifd(0x8825)  # GPS IFD
        g.update({1: "N", 2: (51.0, 7.0, 30.0), 3: "E", 4: (71.0, 25.0, 10.0)})
        save["exif"] = exif
    img.save(buf, fmt, **save)
    return buf.getvalue()


def solved_challenge(age_seconds: int = 30) -> tuple[str, str]:
    """A challenge issued `age_seconds` ago by the server's own code, solved as the browser does."""
    c = service.issue_challenge(SECRET, now=utcnow() - timedelta(seconds=age_seconds))
    return c.challenge, pow.solve(c.challenge, c.bits)


def report_fields(lat=ASTANA[0], lon=ASTANA[1], **over) -> dict:
    ch, nonce = solved_challenge()
    fields = {"kind": "illegal_dump", "lat": str(lat), "lon": str(lon), "description": "Строительный мусор у дороги, около 10 кубометров.",
              "contact": "+7 701 555 12 34", "pow_challenge": ch, "pow_nonce": nonce}
    fields.update({k: v for k, v in over.items() if v is not None})
    for k in [k for k, v in over.items() if v is None]:
        fields.pop(k, None)
    return fields


@pytest.fixture
def submit(client):
    """submit(**fields, photos=[bytes|(name, bytes, type)], device=...) -> response"""

    def go(photos=(), device=None, headers=None, **fields):
        files = []
        for i, p in enumerate(photos):
            files.append(("photos", p if isinstance(p, tuple) else (f"p{i}.jpg", p, "image/jpeg")))
        client.cookies.clear()
        client.cookies.set("qaldyq_device", device or f"test-device-{next(_device):06d}-xyz")
        return client.post("/api/v1/citizens/reports", data=report_fields(**fields), files=files or None, headers=headers or {})

    return go


@pytest.fixture
def limits():
    return citizen_settings()
