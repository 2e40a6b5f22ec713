"""`qaldyq telemetry analyze` on small CSV files; `prune` and `partitions` on a real database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from qaldyq.cli import app
from qaldyq.telemetry.models import TelemetryPoint
from tests.telemetry.test_stops import T0
from tests.telemetry.tracks import Route

runner = CliRunner()
DEPOT = (51.100, 71.300)
GEN = (51.150, 71.450)
STEPPE = (51.120, 71.520)


def write_points(path, routes: dict[str, Route]):
    lines = ["vehicle,time,lat,lon"]
    for name, r in routes.items():
        for t, la, lo in zip(*r.arrays()):
            lines.append(f"{name},{datetime.fromtimestamp(int(t), tz=timezone(timedelta(hours=5))).isoformat()},{la:.7f},{lo:.7f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_analyze_prints_classified_stops_as_json(tmp_path):
    pts, sites = tmp_path / "points.csv", tmp_path / "sites.csv"
    write_points(pts, {
        "001ABC01": Route(T0, *DEPOT).dwell(10).drive(*GEN).dwell(12).drive(*STEPPE).dwell(20).drive(*DEPOT),
        "002ABC01": Route(T0, *GEN, seed=5).dwell(4).drive(*DEPOT).dwell(30),
    })
    sites.write_text("site_id,lat,lon,radius_m,name\nDEPOT-1,51.100,71.300,150,Автобаза\nGEN-7,51.150,71.450,100,Рынок\n", encoding="utf-8")
    r = runner.invoke(app, ["telemetry", "analyze", str(pts), "--sites", str(sites), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["vehicles"] == 2 and out["sites"] == 2
    got = [(s["vehicle"], s["classification"]) for s in out["stops"]]
    assert got == [("001ABC01", "DEPOT-1"), ("001ABC01", "GEN-7"), ("001ABC01", "unauthorized"), ("002ABC01", "DEPOT-1")]
    steppe = out["stops"][2]
    assert abs(steppe["lat"] - STEPPE[0]) < 1e-4 and abs(steppe["lon"] - STEPPE[1]) < 1e-4
    assert 19 * 60 <= steppe["duration_s"] <= 21 * 60
    assert steppe["start"].endswith("Z") and datetime.fromisoformat(steppe["start"]) < datetime.fromisoformat(steppe["end"])
    # the 4-minute wait at the generator is not a stop; without sites every stop is unauthorized
    r = runner.invoke(app, ["telemetry", "analyze", str(pts), "--json", "--min-minutes", "15"])
    assert [s["classification"] for s in json.loads(r.stdout)["stops"]] == ["unauthorized", "unauthorized"]


def test_analyze_table_output(tmp_path):
    pts = tmp_path / "p.csv"
    write_points(pts, {"X": Route(T0, *DEPOT).dwell(10).drive(*GEN)})
    r = runner.invoke(app, ["telemetry", "analyze", str(pts)])
    assert r.exit_code == 0 and "1 stops in" in r.stdout and "unautho" in r.stdout


def test_malformed_csv_names_the_line_and_exits_2(tmp_path):
    pts = tmp_path / "p.csv"
    good = "vehicle,time,lat,lon\nA,2026-05-04T10:00:00+05:00,51.1,71.3\n"
    cases = {
        good + "A,2026-05-04T10:01:00+05:00,abc,71.3\n": "line 3: lat 'abc' is not a number",
        good + "A,2026-05-04 10:01:00,51.1,71.3\n": "line 3: time '2026-05-04 10:01:00' has no UTC offset",
        good + "A,2026-05-04T10:01:00Z,51.1\n": "line 3: expected 4 columns, found 3",
        good + "A,2026-05-04T10:01:00Z,91,71.3\n": "line 3: lat '91' is out of range",
        "vehicle,when,lat,lon\n": "line 1: missing column(s) time",
        "": "line 1: the file is empty",
    }
    for content, message in cases.items():
        pts.write_text(content, encoding="utf-8")
        r = runner.invoke(app, ["telemetry", "analyze", str(pts)])
        assert r.exit_code == 2, content
        assert message in " ".join(r.output.split()), r.output
    pts.write_text(good, encoding="utf-8")
    sites = tmp_path / "s.csv"
    sites.write_text("site_id,lat,lon,radius_m\nS1,51.1,71.3,100\nS1,51.2,71.3,100\n", encoding="utf-8")
    r = runner.invoke(app, ["telemetry", "analyze", str(pts), "--sites", str(sites)])
    assert r.exit_code == 2 and "line 3: site_id 'S1' appears twice" in " ".join(r.output.split())
    r = runner.invoke(app, ["telemetry", "analyze", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "no such file" in " ".join(r.output.split())


def test_prune_and_partitions(databases, _engines, backend, monkeypatch):
    # PostgreSQL copies the template only when nobody is connected to it: close the pool first
    if backend in _engines:
        _engines[backend].dispose()
    fresh_url = databases.fresh(backend)
    from qaldyq.core.config import get_settings
    from qaldyq.core.database import Database
    from qaldyq.core.service import create_user
    from qaldyq.telemetry import service
    from tests.factories import make_org
    from tests.telemetry.conftest import make_vehicle

    monkeypatch.setenv("QALDYQ_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    try:
        db = Database(fresh_url)
        with db.session() as s:
            org = make_org(s, roles=("carrier",))
            make_vehicle(s, org, "100AAA01", "TRK-P")
            create_user(s, username="prune-op", password="long-enough-pw", full_name="Op", organization_id=org.id, role="operator")
            now = datetime.now(timezone.utc).replace(microsecond=0)
            items = [{"tracker_id": "TRK-P", "time": (now - timedelta(days=d)).isoformat(), "lat": 51.1 + d * 1e-3, "lon": 71.3} for d in (0, 1, 10, 20)]
            assert service.ingest(s, None, items, scan=False).accepted == 4
            s.commit()
        r = runner.invoke(app, ["telemetry", "prune", "--older-than-days", "5", "--json"])
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
        if backend == "postgresql":
            assert len(out["partitions_dropped"]) == 2 and out["rows_deleted"] == 0
        else:
            assert out["rows_deleted"] == 2
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(TelemetryPoint)) == 2
        r = runner.invoke(app, ["telemetry", "partitions", "--days-ahead", "2"])
        assert r.exit_code == 0
        if backend == "postgresql":
            eng = create_engine(fresh_url)
            with eng.connect() as c:
                n = c.execute(text("SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_points'")).scalar()
            eng.dispose()
            assert n == 2 + 2  # today and yesterday kept; tomorrow and the day after created ahead
        r = runner.invoke(app, ["telemetry", "prune", "--older-than-days", "0"])
        assert r.exit_code == 2
        db.dispose()
    finally:
        get_settings.cache_clear()
