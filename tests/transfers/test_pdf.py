"""The transfer document as PDF: Kazakh and Russian text, the figures, the signatures and a QR
code of the public verification page."""

from __future__ import annotations

import io
import os

from pdfminer.high_level import extract_text
from PIL import Image

from qaldyq.core.config import get_settings
from tests.factories import bearer, make_org, make_user


def pdf_of(world, number, lang, party=None):
    return world.http.get(f"/api/v1/transfers/{number}/pdf", params={"lang": lang}, headers=(party or world.consignor).headers)


def accepted(world) -> str:
    n = world.to_in_transit()["number"]
    assert world.weigh(n, 14_950, 12_980).status_code == 200
    assert world.sign(world.receiver, n, "receive").status_code == 200
    assert world.accept(n, 1900, 70, "Посторонние примеси").status_code == 200
    return n


def test_pdf_in_kazakh_and_russian_carries_the_document(world, db):
    n = accepted(world)
    kk = pdf_of(world, n, "kk")
    assert kk.status_code == 200 and kk.headers["content-type"] == "application/pdf" and kk.content.startswith(b"%PDF")
    text = " ".join(extract_text(io.BytesIO(kk.content)).split())
    assert "Қалдықтарды беру құжаты" in text and n in text
    assert "ТОО Торговый центр" in text and "ТОО ПолимерПереработка" in text and "123ABC01" in text
    assert "1 970 кг" in text.replace("\u202f", " ") and "1 900 кг" in text.replace("\u202f", " ") and "Посторонние примеси" in text
    assert "Ішінара қабылданды" in text  # partially accepted
    # the four signatures, each with its signer
    assert "ЭЛЕКТРОНДЫҚ ҚОЛТАҢБАЛАР" in text and text.count("ecdsa-p256") == 4
    assert all(p.user.full_name in text for p in (world.consignor, world.carrier, world.receiver))
    ru_pdf = pdf_of(world, n, "ru").content
    if os.environ.get("QALDYQ_SAVE_PDF"):  # to look at it: pdftoppm -png -r 80 /tmp/transfer-kk.pdf /tmp/transfer-kk
        for lang, content in (("kk", kk.content), ("ru", ru_pdf)):
            open(f"/tmp/transfer-{lang}.pdf", "wb").write(content)
    ru = " ".join(extract_text(io.BytesIO(ru_pdf)).split())
    assert "Документ передачи отходов" in ru and "Принято частично" in ru and "ЭЛЕКТРОННЫЕ ПОДПИСИ" in ru
    url = f"{get_settings().public_base_url.rstrip('/')}/transfers/{n}/verify"
    assert url in ru.replace(" ", "") or url in ru


def test_pdf_qr_code_encodes_the_verification_page(world, db):
    import segno
    from qaldyq.transfers.pdf import verification_url

    n = world.draft()["number"]
    url = verification_url(n)
    assert url.endswith(f"/transfers/{n}/verify")
    # the embedded image is exactly the QR code of that address
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="png", scale=6, border=2)
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTImage, LTFigure

    images = [o for page in extract_pages(io.BytesIO(pdf_of(world, n, "kk").content)) for f in page if isinstance(f, LTFigure) for o in f if isinstance(o, LTImage)]
    assert len(images) == 1
    want = Image.open(expected).convert("1")
    assert images[0].srcsize == want.size


def test_pdf_only_for_those_who_may_see_the_document(world, db, client):
    n = world.draft()["number"]
    assert pdf_of(world, n, "ru", world.carrier).status_code == 200
    stranger = make_user(db, make_org(db, roles=("carrier",), name="ТОО Чужой"), "org_user")
    r = client.get(f"/api/v1/transfers/{n}/pdf", headers=bearer(db, stranger))
    assert r.status_code == 404 and r.json()["status"] == 404
    assert client.get(f"/api/v1/transfers/{n}/pdf").status_code == 401
    assert pdf_of(world, n, "en").status_code == 422
