"""The main journey of each feature in a real browser against `qaldyq demo` data: every demo role
logs in; an organization administrator registers a site; a citizen reports a dump (the form's
JavaScript computes the proof of work) and the akimat takes it to "cleaned"; the alerts map."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.xdist_group("browser")

# (username, full name shown in the header, role label in en) — from src/qaldyq/registry/demo.py
DEMO_LOGINS = [
    ("demo.admin", "Айгерім Сейітова"), ("demo.authority", "Ерлан Жұмабаев"), ("demo.operator", "Дана Ахметова"),
    ("demo.akimat.astana", "Нұрлан Қасымов"), ("demo.akimat.almaty-region", "Әсел Омарова"), ("demo.inspector", "Бауыржан Тоқтаров"),
    ("demo.collector", "Сергей Ким"), ("demo.collector.user", "Мадина Серікова"), ("demo.recycler", "Алия Нұрланова"),
    ("demo.recycler.user", "Дмитрий Попов"), ("demo.landfill", "Ғалым Сәрсенов"), ("demo.landfill.user", "Жанар Бекова"),
    ("demo.producer", "Арман Исаев"), ("demo.producer.user", "Елена Смагулова"), ("demo.generator", "Қайрат Әлиев"),
    ("demo.generator.user", "Гүлнар Мұратова"),
]

LOG_OUT = {"kk": "Шығу", "ru": "Выйти", "en": "Log out"}


@pytest.mark.parametrize("username,full_name", DEMO_LOGINS, ids=[u for u, _ in DEMO_LOGINS])
def test_every_demo_role_logs_in_and_out(page, username, full_name):
    login(page, username)
    assert not page.url.rstrip("/").endswith("/login"), page.url
    assert full_name in page.inner_text(".who")
    page.click("form[action='/logout'] button")
    page.wait_for_load_state("networkidle")
    assert page.query_selector(".who") is None


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_header_speaks_the_language_after_login(page, lang):
    login(page, "demo.operator", lang=lang)
    assert page.get_attribute("html", "lang") == lang
    assert page.inner_text("form[action='/logout'] button").strip() == LOG_OUT[lang]


def test_org_admin_registers_a_site(page):
    login(page, "demo.collector")
    page.goto("/registry/sites/new?lang=en")
    page.select_option("#site_type", "sorting")
    page.fill("#name", "Сортировочная площадка E2E")
    page.fill("#settlement", "Астана")
    page.fill("#address", "ул. Тестовая, 1")
    page.fill("#lat", "51.1500")
    page.fill("#lon", "71.4700")
    page.check("input[name=permitted_operations][value=sorting]")
    page.fill("#permitted_waste_codes", "15 01 02")
    page.click("form[action='/registry/sites/new'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/registry/sites/\d+(\?|$)", page.url), page.url + "\n" + page.inner_text("main")[:2000]
    main = page.inner_text("main")
    assert "Сортировочная площадка E2E" in main and "15 01 02" in main
    # and it is listed among the organization's sites
    page.goto("/registry/sites?q=E2E")
    assert "Сортировочная площадка E2E" in page.inner_text("main")


def test_citizen_report_from_submission_to_cleaned(page, browser, live_server):
    # 1. an anonymous citizen, in Russian; the JavaScript proof of work must be ready before sending
    page.goto("/citizens/submit?lang=ru")
    page.check("input[name=kind][value=illegal_dump]")
    page.fill("#description", "Строительный мусор у дороги за гаражами, около 5 кубометров.")
    page.fill("#lat", "51.1420")
    page.fill("#lon", "71.4550")
    page.wait_for_timeout(4500)  # a person takes longer than min_fill_seconds (4 s); faster is refused as a bot
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/citizens/r/[^/?]+\?new=1"), timeout=60_000)
    private_url = page.url.split("?")[0]
    heading = page.inner_text("h1")
    number = re.search(r"CR-[\d-]+|[A-Z]{2,}-\d{4}-\d+", heading).group(0)
    assert "Получено" in heading or "получено" in heading.lower() or page.query_selector(".cz-st-received"), heading

    # 2. the akimat of Astana confirms, schedules and cleans it (HTMX forms on the report page)
    staff = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    akimat = staff.new_page()
    akimat.set_default_timeout(10_000)
    try:
        login(akimat, "demo.akimat.astana", lang="en")
        akimat.goto(f"/citizens/reports/{number}?lang=en")
        assert number in akimat.inner_text("h1")

        def act(event: str, status: str, before=None):
            inner = f"form[action$='/events/{event}']"
            form = f"#workflow {inner}"
            if not akimat.is_visible(form + " button[type=submit]"):
                akimat.click(f"#workflow details:has({inner}) summary")
            if before:
                before(form)
            akimat.click(form + " button[type=submit]")
            akimat.wait_for_selector(f"#workflow h2 .cz-st-{status}")  # HTMX swaps the section in

        act("verify", "verified")
        act("schedule", "cleanup_scheduled", lambda form: akimat.fill(form + " input[name=scheduled_for]", (date.today() + timedelta(days=3)).isoformat()))
        act("clean", "cleaned")
        history = akimat.inner_text("#workflow .cz-history")
        assert all(w in history for w in ("Report received", "Confirm the violation", "Schedule the cleanup", "Mark as cleaned")), history
        assert "The report is closed." in akimat.inner_text("#workflow")
    finally:
        staff.close()

    # 3. the citizen's private link shows it cleaned, in each language
    for lang, word in (("ru", "Убрано"), ("kk", None), ("en", "Cleaned")):
        page.goto(f"{private_url}?lang={lang}")
        assert page.query_selector("h1 .cz-st-cleaned"), page.inner_text("h1")
        if word:
            assert word.lower() in page.inner_text("h1").lower()



@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_dumping_alert_on_its_map(page, lang):
    """The akimat of Astana opens the queue of suspected-dumping alerts and one alert with its stop
    on the map."""
    login(page, "demo.akimat.astana", lang=lang)
    page.goto(f"/telemetry/alerts?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    rows = page.locator("main table.data tbody tr")
    assert rows.count() >= 1, page.inner_text("main")[:1000]
    assert all("Astana" in t or "Астана" in t for t in rows.all_inner_texts()), "the akimat sees only its region's alerts"
    rows.first.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/telemetry/alerts/\d+", page.url)
    assert page.locator("main svg").count() >= 1, "the alert has no map"
    assert re.search(r"TA-\d{4}-\d{6}", page.inner_text("main h1"))


def test_vehicle_day_track_for_the_operator(page):
    login(page, "demo.operator", lang="en")
    page.goto("/telemetry/alerts?lang=en")  # the vehicles of the alerts have a day with a track
    links = page.locator("main table.data tbody tr a[href*='/telemetry/vehicles/']")
    assert links.count() >= 1, page.inner_text("main")[:1000]
    links.first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("main svg").count() >= 1, "the vehicle's day has no track map"


def test_public_map_of_citizen_reports(page):
    page.goto("/citizens/map?lang=kk")
    assert page.get_attribute("html", "lang") == "kk"
    assert page.locator("main svg").count() >= 1


def test_transfer_document_by_api_then_its_public_verification_page(page, live_server):
    """A consignor signs a draft through the API as an outside client would (its own CA trusted by
    the administrator); anyone can then open the document's public verification in a browser."""
    import httpx

    from tests.signing.pki import make_ca, pem, sign_b64

    http = httpx.Client(base_url=live_server, timeout=30)
    tok = lambda u: {"Authorization": "Bearer " + http.post("/api/v1/auth/token", json={"username": u, "password": "qaldyq-demo-2026"}).json()["token"]}  # noqa: E731
    admin, gen, landfill, collector = tok("demo.admin"), tok("demo.generator"), tok("demo.landfill"), tok("demo.collector")
    ca = make_ca("E2E CA")
    assert http.post("/api/v1/pki/trusted-cas", json={"certificate": ca.pem, "label": "e2e"}, headers=admin).status_code in (200, 201)
    cert, key = ca.issue("Қайрат Әлиев")
    assert http.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=gen).status_code == 201
    gen_site = http.get("/api/v1/sites", params={"site_type": "generator"}, headers=gen).json()["items"][0]["id"]
    receiver = next(s for s in http.get("/api/v1/sites", params={"per_page": 200}, headers=landfill).json()["items"] if s["site_type"] == "landfill")
    carrier_org = http.get("/api/v1/me", headers=collector).json()["organization_id"]
    body = {"consignor_site_id": gen_site, "receiver_site_id": receiver["id"], "legs": [{"carrier_org_id": carrier_org}], "waste_code": "17 01 01",
            "description": "Бетонный лом", "physical_form": "solid", "containers": [{"type": "bulk", "count": 1}], "declared_mass_kg": 5000,
            "mass_basis": "estimated", "planned_operation": "D1"}
    r = http.post("/api/v1/transfers", json=body, headers=gen)
    assert r.status_code == 201, r.text
    n = r.json()["number"]
    req = http.get(f"/api/v1/transfers/{n}/signing-request", params={"action": "sign_consignor"}, headers=gen).json()
    r = http.post(f"/api/v1/transfers/{n}/signatures", json={"action": "sign_consignor", "sha256": req["sha256"], "signature": sign_b64(key, req["payload"].encode())}, headers=gen)
    assert r.status_code == 200 and r.json()["state"] == "signed_by_consignor", r.text
    page.goto(f"/api/v1/transfers/{n}/verification")
    assert '"intact":true' in page.inner_text("body").replace(" ", "")
