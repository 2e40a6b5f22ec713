"""Telemetry parameters from the environment (prefix QALDYQ_TELEMETRY_), with the defaults the
issue names. One object, passed to the analysis, so the server and the CLI compute alike."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QALDYQ_TELEMETRY_", extra="ignore")

    # ingest
    max_batch_points: int = 10_000
    max_batch_bytes: int = 4 * 1024 * 1024
    clock_skew_s: int = 300  # a point may be this far in the future (tracker clocks drift)
    retention_days: int = 400  # points older than this are refused at ingest and pruned
    max_speed_kmh: float = 150.0  # no waste truck goes faster: faster hops are GPS jumps
    jump_tolerance_m: float = 200.0  # hops shorter than this are never called jumps (GPS noise)
    max_jump_points: int = 3  # an island of at most this many implausible points is a jump
    outside_tolerance_km: float = 50.0  # how far outside the (simplified) border a point may be
    # analysis
    stop_min_minutes: float = 5.0  # dwell of at least N minutes ...
    stop_max_diameter_m: float = 50.0  # ... within D metres
    gap_minutes: float = 15.0  # no signal for longer than this while moving splits a trip
    geofence_margin_m: float = 25.0  # GPS error allowed outside a site's geofence
    dumping_alert_minutes: float = 15.0  # an unauthorized stop this long raises an alert
    alert_lookback_hours: float = 6.0  # how much history ingest re-reads to see a whole stop
    # matching
    match_tolerance_minutes: float = 120.0  # "near pick-up", "near receipt"
    landfill_min_visit_minutes: float = 5.0  # a visit to a landfill shorter than this is passing by
    landfill_site_types: tuple[str, ...] = ("landfill",)


@lru_cache
def get_telemetry_settings() -> TelemetrySettings:
    return TelemetrySettings()
