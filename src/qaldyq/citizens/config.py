"""Limits of the citizen channel, from the environment (prefix QALDYQ_CITIZENS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CitizenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QALDYQ_CITIZENS_", extra="ignore")

    max_photos: int = 5  # per report
    max_photo_bytes: int = 8 * 1024 * 1024  # per uploaded file, before re-encoding
    max_photo_side: int = 12000  # pixels, as the file's header declares them
    max_photo_pixels: int = 50_000_000  # width x height: refuses decompression bombs before decoding
    stored_side: int = 2048  # stored photos are scaled down to fit this box
    thumb_side: int = 400
    jpeg_quality: int = 85
    pow_bits: int = 14  # leading zero bits of SHA-256: about 16 000 hashes, well under a second on a phone
    challenge_minutes: int = 120  # a form may stay open this long
    min_fill_seconds: int = 4  # a person needs longer than this to fill in the form
    public_precision: int = 2  # decimals of lat/lon on the public map (about 1 km)
    nearby_m: int = 500  # moderators see other reports within this distance (duplicates)


@lru_cache
def citizen_settings() -> CitizenSettings:
    return CitizenSettings()
