"""Documents read beside the checklist (issue 16), in real Chromium: the reviewer opens a PDF and
an image inside the case page (same origin, under the site's CSP, nothing from elsewhere), the
PDF in Chromium's own viewer; a clinic that does not own the case gets a 404."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Browser, Page, Response, expect

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Document
from tests.browser.journeys import report_upload, script_errors, signed_in
from tests.browser.support import screenshot
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan_png() -> bytes:
    """A small real PNG: a scanned ultrasound report, as far as the viewer can tell."""
    image = Image.new("RGB", (320, 200), (245, 245, 245))
    for x in range(40, 280):
        for y in (60, 100, 140):
            image.putpixel((x, y), (30, 30, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def loaded(page: Page, responses: list[Response], url: str) -> Response:
    """The response the page got for url, once it has come (the viewer loads it after the swap)."""
    for _ in range(150):
        if found := [r for r in responses if r.url.endswith(url)]:
            return found[-1]
        page.wait_for_timeout(100)
    raise AssertionError(f"{url} never loaded: {[r.url for r in responses]}")


def test_it_shows_a_pdf_and_an_image_beside_the_checklist(
    browser: Browser, live_server: Any, riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, submit=False)
    services.document_attach(
        actor=riverside,
        case=case,
        upload=report_upload("factor-ix.pdf", "Factor IX activity", ["FIX activity 1% (01/2026)"]),
        kind="lab_report",
        supports=["fix_activity"],
    )
    services.document_attach(
        actor=riverside,
        case=case,
        upload=SimpleUploadedFile("ultrasound.png", scan_png()),
        kind="imaging_report",
        supports=["liver_assessment"],
    )
    case = services.case_submit(actor=riverside, case=case)
    case = services.case_claim(actor=pharmacist, case=case)
    pdf, png = Document.objects.filter(case=case).order_by("pk")
    pdf_url = reverse("document_inline", args=[pdf.pk])
    png_url = reverse("document_inline", args=[png.pk])

    with signed_in(browser, live_server, pharmacist) as page:
        responses: list[Response] = []
        page.on("response", lambda r: responses.append(r))
        page.goto(reverse("reviewer:case", args=[case.pk]))
        viewer = page.locator("#document-viewer")
        expect(viewer).to_be_empty()
        # The PDF from the checklist line it supports.
        line = page.locator('tr[data-criterion="fix_activity"]')
        line.get_by_test_id("view-document").click()
        response = loaded(page, responses, pdf_url)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        frame = viewer.get_by_test_id("document-frame")
        expect(frame).to_be_visible()
        expect(viewer.get_by_role("heading", name="factor-ix.pdf")).to_be_visible()
        expect(viewer.get_by_role("link", name="Download")).to_have_attribute(
            "href", reverse("document_download", args=[pdf.pk])
        )
        # Chromium's own PDF viewer took the frame (it refuses a frame it may not render in).
        for _ in range(100):
            if any(f.url.startswith("chrome-extension://") for f in page.frames):
                break
            page.wait_for_timeout(100)
        pdf_viewer = [f for f in page.frames if f.url.startswith("chrome-extension://")]
        assert pdf_viewer, [f.url for f in page.frames]
        # Its page shows once PDFium has drawn the PDF (for the screenshot).
        pdf_viewer[0].wait_for_selector("#content", state="attached")
        page.wait_for_timeout(1000)
        box = frame.bounding_box()
        assert box is not None and box["height"] > 300 and box["width"] > 600
        # Beside the checklist: the checklist and the actions are still on the same screen.
        expect(page.get_by_role("heading", name="Checklist")).to_be_attached()
        screenshot(page, "inline-document", full_page=False)

        # The image from the Documents card.
        documents = page.get_by_test_id("documents")
        # By keyboard this time, as a keyboard user would (in headless Chromium a mouse click just
        # after the PDF viewer loaded did not always reach the page).
        documents.get_by_role("link", name="View ultrasound.png").focus()
        page.keyboard.press("Enter")
        expect(viewer.get_by_role("heading", name="ultrasound.png")).to_be_visible(timeout=15_000)
        image = viewer.get_by_test_id("document-image")
        expect(image).to_be_visible()
        served = loaded(page, responses, png_url)
        assert served.status == 200
        assert served.headers["content-type"] == "image/png"
        assert image.evaluate("img => img.complete && img.naturalWidth") == 320
        expect(viewer.get_by_test_id("document-frame")).to_have_count(0)
        # Close leaves the page as it was.
        viewer.get_by_role("button", name="Close").click()
        expect(viewer).to_be_empty()
        assert script_errors(page) == []

    views = AuditLog.objects.filter(action="document.view", case=case, actor=pharmacist)
    assert sorted(views.values_list("object_id", flat=True)) == sorted([str(pdf.pk), str(png.pk)])

    with signed_in(browser, live_server, lakeside) as page:
        for url in (pdf_url, png_url, reverse("document_viewer", args=[pdf.pk])):
            assert page.request.get(url).status == 404
