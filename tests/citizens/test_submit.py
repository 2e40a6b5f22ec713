"""Submitting reports through the API and the web form, with every protection: photo checks and
metadata stripping, the Kazakhstan check, the proof of work, the honeypot, the time-to-fill and
the flood limits. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from qaldyq.citizens import pow, service
from qaldyq.citizens.floods import LIMITS
from qaldyq.citizens.models import FloodHit, Report, ReportPhoto
from qaldyq.core.database import utcnow
from qaldyq.core.models import AuditRecord
from tests.citizens.conftest import ALMATY, SECRET, image_bytes, report_fields, solved_challenge


def count(db, model=Report) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def stored_photo(db, report_number: str) -> bytes:
    report = db.scalar(select(Report).where(Report.number == report_number))
    photo = db.scalar(select(ReportPhoto).where(ReportPhoto.report_id == report.id))
    return photo.data


def test_api_submission_returns_number_and_private_link(submit, client, db, as_role):
    _, _, akimat = as_role("akimat", roles=("akimat",), region="750000000")
    r = submit(lat=ALMATY[0], lon=ALMATY[1], photos=[image_bytes()])
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(rf"CR-{utcnow().year}-\d{{6}}", body["number"])
    assert body["status"] == "received" and body["photos"] == 1
    assert body["region_kato"] == "750000000" and body["region_source"] == "nearest"
    assert body["routed_to"] == akimat.name_ru
    assert body["private_url"].endswith("/citizens/r/" + body["private_token"])
    assert "qaldyq_device" in r.headers.get("set-cookie", "") or client.cookies.get("qaldyq_device")
    report = db.scalar(select(Report).where(Report.number == body["number"]))
    assert report.akimat_org_id == akimat.id and report.channel == "api"
    # only the hash of the token is stored
    assert body["private_token"] not in (report.token_hash, report.description)
    assert len(report.token_hash) == 64
    # the reporter's view by the token: status and history, no contact
    view = client.get(f"/api/v1/citizens/private/{body['private_token']}").json()
    assert view["number"] == body["number"] and view["status"] == "received"
    assert [h["event"] for h in view["history"]] == ["submit"]
    assert "contact" not in view
    assert client.get("/api/v1/citizens/private/" + "x" * 43).status_code == 404
    # the contact is personal data: masked in the audit log
    rec = db.scalar(select(AuditRecord).where(AuditRecord.entity == "citizen_reports", AuditRecord.action == "create"))
    assert rec.after["contact"] == "***" and rec.after["token_hash"] == "***"


def test_region_chosen_by_reporter_wins_and_unknown_region_is_refused(submit, db):
    r = submit(region_kato="110000000")  # a point in Astana, but the reporter says Akmola region
    assert r.status_code == 201 and r.json()["region_kato"] == "110000000" and r.json()["region_source"] == "reporter"
    bad = submit(region_kato="999999999")
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/region_kato"
    short = submit(region_kato="71")
    assert short.status_code == 422 and short.json()["errors"][0]["pointer"] == "/region_kato"


def test_exif_gps_is_stripped_from_stored_photo(submit, db):
    raw = image_bytes(gps=True, size=(800, 600))
    src = Image.open(io.BytesIO(raw))
    assert src.getexif().get_ifd(0x8825), "the test photo must carry GPS data"
    assert b"SpyCam" in raw
    r = submit(photos=[raw])
    assert r.status_code == 201, r.text
    data = stored_photo(db, r.json()["number"])
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert not img.getexif() and "exif" not in img.info
    assert b"Exif" not in data and b"SpyCam" not in data and b"GPS" not in data
    assert img.size == (800, 600)


def test_png_and_webp_are_accepted_and_reencoded_png_alpha_flattened(submit, db):
    r = submit(photos=[("a.png", image_bytes("PNG", color=(10, 200, 30, 128)), "image/png"), ("b.webp", image_bytes("WEBP"), "image/webp")])
    assert r.status_code == 201, r.text
    report = db.scalar(select(Report).where(Report.number == r.json()["number"]))
    assert sorted(p.original_type for p in report.photos) == ["PNG", "WEBP"]
    assert all(p.content_type == "image/jpeg" for p in report.photos)


def test_large_photo_is_scaled_down(submit, db):
    r = submit(photos=[image_bytes(size=(4000, 3000))])
    assert r.status_code == 201
    img = Image.open(io.BytesIO(stored_photo(db, r.json()["number"])))
    assert max(img.size) == 2048


def test_files_that_are_not_images_are_refused(submit, db):
    cases = [
        ("virus.jpg", b"MZ\x90\x00" + b"\x00" * 500, "image/jpeg"),  # an executable named .jpg
        ("doc.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "image/png"),
        ("pic.gif", _gif(), "image/gif"),  # a real image, but not an accepted type
        ("x.bmp", _bmp(), "image/jpeg"),  # a BMP claiming to be JPEG
        ("trunc.jpg", image_bytes()[:200], "image/jpeg"),  # a broken JPEG
        ("empty.jpg", b"", "image/jpeg"),
    ]
    for name, data, ctype in cases:
        r = submit(photos=[image_bytes(), (name, data, ctype)])
        assert r.status_code == 422, (name, r.text)
        err = r.json()["errors"][0]
        assert err["pointer"] == "/photos/1", name
        assert err["code"] in ("not-an-image", "empty-file"), (name, err)
    assert count(db) == 0 and count(db, ReportPhoto) == 0


def test_type_is_decided_by_content_not_by_name_or_declared_type(submit, db):
    # a PNG named .txt and declared as text/plain is still a PNG and accepted
    r = submit(photos=[("notes.txt", image_bytes("PNG"), "text/plain")])
    assert r.status_code == 201, r.text
    report = db.scalar(select(Report).where(Report.number == r.json()["number"]))
    assert report.photos[0].original_type == "PNG"


def test_too_large_too_many_and_too_big_dimensions_are_refused(submit, db, limits, client):
    big = image_bytes() + b"\x00" * (limits.max_photo_bytes + 10)  # valid JPEG padded past the limit
    r = submit(photos=[big], headers={"Accept-Language": "ru"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/photos/0"
    assert r.json()["errors"][0]["code"] == "file-too-large"
    assert "МБ" in r.json()["errors"][0]["detail"]
    r = submit(photos=[image_bytes(size=(60, 40))] * (limits.max_photos + 1))
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/photos"
    # a small file that declares a huge picture (decompression bomb) is refused before decoding
    bomb = image_bytes("PNG", size=(13000, 100))
    r = submit(photos=[("bomb.png", bomb, "image/png")])
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "image-too-large"
    assert count(db) == 0


def test_reports_outside_kazakhstan_are_refused(submit, db):
    for lat, lon in [(55.75, 37.62), (48.85, 2.35), (0.0, 0.0), (71.43, 51.13), (39.9, 116.4), (39.65, 66.96), (43.83, 87.62), (41.5, 60.6)]:
        r = submit(lat=lat, lon=lon, headers={"Accept-Language": "kk"})
        assert r.status_code == 422, (lat, lon, r.text)
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert {e["pointer"] for e in body["errors"]} == {"/lat", "/lon"}
        assert body["errors"][0]["code"] == "outside-kazakhstan"
        assert body["detail"] != "The location is outside Kazakhstan."  # translated to Kazakh
    # near the border but inside: accepted (Zharkent, Aktau, Petropavl)
    for lat, lon in [(44.16, 80.0), (43.65, 51.17), (54.87, 69.15)]:
        assert submit(lat=lat, lon=lon).status_code == 201, (lat, lon)
    assert count(db) == 3


def test_bad_fields_name_their_pointer_and_store_nothing(submit, client, db):
    cases = [
        ({"lat": "abc"}, "/lat"), ({"lat": "91"}, "/lat"), ({"lon": "-181"}, "/lon"), ({"lat": "nan"}, "/lat"),
        ({"kind": "spaceship"}, "/kind"), ({"kind": None}, "/kind"), ({"description": "abc"}, "/description"),
        ({"description": "x" * 2001}, "/description"), ({"contact": "c" * 201}, "/contact"), ({"colour": "red"}, "/colour"),
    ]
    for over, pointer in cases:
        r = submit(**over)
        assert r.status_code == 422, (over, r.text)
        assert r.json()["errors"][0]["pointer"] == pointer, (over, r.json())
    assert count(db) == 0


def test_honeypot_filled_is_refused(submit, db):
    r = submit(website="http://spam.example")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/website"
    assert r.json()["errors"][0]["code"] == "honeypot"
    assert count(db) == 0


def test_proof_of_work_is_required_and_checked(submit, client, db):
    assert submit(pow_challenge=None).json()["errors"][0]["code"] == "pow-missing"
    assert submit(pow_nonce=None).json()["errors"][0]["code"] == "pow-missing"
    ch, nonce = solved_challenge()
    wrong = next(str(n) for n in range(1, 10**6) if pow.leading_zero_bits(pow.digest_of(ch, str(n))) < 14)
    assert submit(pow_challenge=ch, pow_nonce=wrong).json()["errors"][0]["code"] == "pow-wrong"
    forged = ch.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
    assert submit(pow_challenge=forged, pow_nonce=nonce).json()["errors"][0]["code"] == "pow-invalid"
    # too fast: a challenge issued just now
    fresh = service.issue_challenge(SECRET)
    r = submit(pow_challenge=fresh.challenge, pow_nonce=pow.solve(fresh.challenge, fresh.bits))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "too-fast"
    # expired
    old = service.issue_challenge(SECRET, now=utcnow() - timedelta(hours=3))
    assert submit(pow_challenge=old.challenge, pow_nonce=pow.solve(old.challenge, old.bits)).json()["errors"][0]["code"] == "pow-expired"
    # one solution buys one report
    assert submit(pow_challenge=ch, pow_nonce=nonce).status_code == 201
    again = submit(pow_challenge=ch, pow_nonce=nonce)
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "pow-reused"
    assert count(db) == 1


def test_challenge_endpoint_and_solving_it(client):
    c = client.get("/api/v1/citizens/challenge").json()
    assert c["algorithm"] == "sha256-leading-zero-bits" and c["bits"] == 14
    nonce = pow.solve(c["challenge"], c["bits"])
    import hashlib

    digest = hashlib.sha256(f"{c['challenge']}:{nonce}".encode()).digest()
    assert pow.leading_zero_bits(digest) >= 14
    assert pow.leading_zero_bits(bytes([0, 0, 0b00010000])) == 19


def test_flood_from_one_device_gets_429_and_stores_nothing(submit, db):
    device_limit = min(limit.max_reports for limit in LIMITS if limit.source == "device")
    for _ in range(device_limit):
        assert submit(device="same-device-0001-abcdef").status_code == 201
    before = count(db), count(db, FloodHit)
    r = submit(device="same-device-0001-abcdef", photos=[image_bytes()], headers={"Accept-Language": "ru"})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:qaldyq:problem:too-many-reports" and "Слишком много" in r.json()["title"]
    assert int(r.headers["retry-after"]) >= 60
    assert (count(db), count(db, FloodHit)) == before
    assert count(db, ReportPhoto) == 0
    # another device from the same address is still welcome
    assert submit(device="other-device-0002-abcdef").status_code == 201


def test_flood_from_one_address_gets_429(submit, db):
    address_limit = min(limit.max_reports for limit in LIMITS if limit.source == "address")
    for i in range(address_limit):
        assert submit(device=f"rotating-device-{i:04d}-abc").status_code == 201, i
    r = submit(device="rotating-device-9999-abc")
    assert r.status_code == 429
    assert count(db) == address_limit
    # the sources are stored as keyed hashes, never as addresses or cookies
    keys = set(db.scalars(select(FloodHit.key)))
    assert not any("testclient" in k or "rotating" in k for k in keys)


def test_web_form_submission_with_proof_of_work(client, db):
    page = client.get("/citizens/submit", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'name="website"' in page.text and 'data-pow' in page.text and "/static/js/citizens.js" in page.text
    challenge = re.search(r'name="pow_challenge" value="([^"]+)"', page.text).group(1)
    assert service.issue_challenge  # the page carries a real challenge:
    assert challenge.startswith("v1.14.")
    # the form was open long enough: use a challenge the server issued 30 s ago
    ch, nonce = solved_challenge()
    fields = report_fields(lat=ALMATY[0], lon=ALMATY[1], pow_challenge=ch, pow_nonce=nonce)
    fields["csrf_token"] = ""
    r = client.post("/citizens/submit", data=fields, files=[("photos", ("p.jpg", image_bytes(gps=True), "image/jpeg"))],
                    headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/citizens/r/") and r.headers["location"].endswith("?new=1")
    private = client.get(r.headers["location"], headers={"Accept": "text/html"})
    number = db.scalar(select(Report.number))
    assert private.status_code == 200 and number in private.text
    assert db.scalar(select(Report.channel)) == "web"
    assert b"SpyCam" not in stored_photo(db, number)


def test_web_form_errors_are_shown_next_to_fields(client, db):
    ch, nonce = solved_challenge()
    fields = report_fields(lat="48.85", lon="2.35", pow_challenge=ch, pow_nonce=nonce, description="Мусор за домом, много пакетов.")
    r = client.post("/citizens/submit?lang=ru", data=fields, headers={"Accept": "text/html"})
    assert r.status_code == 422
    assert "Отчёт не отправлен" in r.text or "не отправлен" in r.text
    assert "Мусор за домом, много пакетов." in r.text  # what the citizen typed is kept
    assert count(db) == 0


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(buf, "GIF")
    return buf.getvalue()


def _bmp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(buf, "BMP")
    return buf.getvalue()


def test_source_keys_for_real_addresses():
    from qaldyq.citizens.floods import Source, keys

    k4 = keys(Source("203.0.113.7", "dev-abcdefghijklmnop"), SECRET)
    assert set(k4) == {"address", "device"} and "203.0.113.7" not in k4["address"]
    assert keys(Source("::ffff:203.0.113.7", None), SECRET)["address"] == k4["address"]  # the same IPv4 client
    # one IPv6 /64 is one source; another /64 is another
    a = keys(Source("2001:db8:1:2::10", None), SECRET)["address"]
    assert a == keys(Source("2001:db8:1:2:ffff::1", None), SECRET)["address"]
    assert a != keys(Source("2001:db8:1:3::10", None), SECRET)["address"]
    assert keys(Source("203.0.113.7", None), "another-secret")["address"] != k4["address"]
