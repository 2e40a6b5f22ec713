"""Vehicle telemetry: GPS ingest, trips and stops, geofences, suspected illegal dumping, and the
matching of carrier legs to trips (see docs/telemetry.md)."""
