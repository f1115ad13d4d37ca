"""Shared steps of the user journeys: one browser context per actor, a real small PDF, and the
checks every page gets (no horizontal overflow, no console errors from the CSP or htmx).

The session's one Chromium comes from the `browser` fixture in tests/conftest.py.
"""

from __future__ import annotations

import io
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Download, Page, ViewportSize, expect
from pypdf import PdfReader

from accounts.models import User
from tests.browser.support import log_in

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# Console errors per page, kept from the moment the page opens.
_console_errors: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


@contextmanager
def signed_in(
    browser: Browser, live_server: Any, user: User, viewport: ViewportSize = DESKTOP
) -> Iterator[Page]:
    """A fresh context (its own cookies) for one actor, logged in through the form."""
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = _console_errors.setdefault(page, [])
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        log_in(page, user)
        yield page
    finally:
        context.close()


# What a blocked script or a failed htmx request or swap logs (htmx:responseError, ...). An htmx
# request replaced by a newer one (hx-sync) logs htmx:sendAbort, which is no failure.
SCRIPT_FAILURE = re.compile(r"Content Security Policy|htmx:\w*Error")


def script_errors(page: Page) -> list[str]:
    """Console errors a blocked script or a failing htmx request would leave."""
    return [e for e in _console_errors.get(page, []) if SCRIPT_FAILURE.search(e)]


def overflows(page: Page) -> bool:
    """True when the page scrolls sideways (wider than the window)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def downloaded(download: Download) -> bytes:
    path = download.path()
    assert path is not None, download.failure()
    return path.read_bytes()


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def report_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with real text (Helvetica), built by hand: a lab report."""
    body = [f"/F1 16 Tf ({_pdf_string(title)}) Tj /F1 11 Tf"]
    body += [f"T* ({_pdf_string(line)}) Tj" for line in lines]
    stream = f"BT 72 720 Td 16 TL {' '.join(body)} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def report_upload(name: str, title: str, lines: list[str]) -> SimpleUploadedFile:
    """The same PDF as an upload, for cases a test sets up through the services."""
    return SimpleUploadedFile(name, report_pdf(title, lines), content_type="application/pdf")


# --- steps each journey takes on the other actors' side -----------------------------------------


def claim_from_queue(page: Page, reference: str) -> None:
    """A reviewer claims a case from the queue (in place) and opens it."""
    page.goto("/review/")
    row = page.get_by_test_id("queue-row").filter(has_text=reference)
    row.get_by_role("button", name="Claim").click()
    row.get_by_role("link", name="Open").click()
    expect(page.get_by_test_id("case-status")).to_have_text("In review")


def pend(page: Page, message: str, items: str | None = None) -> None:
    """A reviewer pends the open case; items replace the engine's drafted asks when given."""
    page.get_by_text("Pend: request information…").click()
    if items is not None:
        page.get_by_label("Information requested (one item per line)").fill(items)
    page.get_by_label("Message to the clinic (optional)").fill(message)
    page.get_by_role("button", name="Send request to the clinic").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Pended: information requested")


def approve(page: Page) -> None:
    page.get_by_text("Approve…").click()
    page.get_by_role("button", name="Approve and issue authorization").click()


def answer(page: Page, case_pk: int, answers: dict[str, str], note: str) -> None:
    """The clinic opens its pended case, sees the request, answers it (facts by label, a note)."""
    page.goto(f"/clinic/requests/{case_pk}/")
    expect(page.get_by_test_id("case-status")).to_have_text("Pended: information requested")
    page.get_by_test_id("open-rfi").get_by_role("link", name="Answer the request").click()
    for label, value in answers.items():
        page.get_by_label(label, exact=True).select_option(value)
    page.get_by_label("Note to the reviewer").fill(note)
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_test_id("case-status")).to_have_text("In review")
