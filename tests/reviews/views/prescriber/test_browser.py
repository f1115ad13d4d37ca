"""The request form in real Chromium at phone width: the htmx checklist preview updates as the
form is filled (through the CSP, the CSRF header and the vendored htmx), and nothing overflows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.models import User
from reviews.models import Case, Status
from tests.browser.support import log_in, screenshot
from tests.factories import days_ago, make_patient

PHONE: ViewportSize = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overflows(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def test_it_previews_and_submits_a_request_on_a_phone(
    browser: Browser, live_server: Any, riverside: User
) -> None:
    patient = make_patient(riverside, last_name="Moreno")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    phone = context.new_page()
    phone.set_default_timeout(15_000)
    try:
        errors: list[str] = []
        phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        log_in(phone, riverside)
        expect(phone.get_by_role("heading", name="Prior-authorization requests")).to_be_visible()
        assert not overflows(phone)

        phone.goto(f"/clinic/requests/new/?patient={patient.pk}")
        preview = phone.get_by_test_id("checklist-preview")
        count = preview.get_by_test_id("unknown-count")
        # Loaded with only the patient known: age, sex and the lifetime limit settle.
        expect(count).to_contain_text("11 unknown")
        phone.get_by_label("Diagnosis (ICD-10-CM)").fill("D67")
        phone.get_by_label("HIV status").select_option("negative")
        expect(count).to_contain_text("9 unknown")
        phone.get_by_label("Factor IX activity", exact=True).fill("1")
        phone.get_by_label("Factor IX activity unit").select_option("%")
        phone.get_by_label("Factor IX test date").fill(days_ago(10))
        expect(count).to_contain_text("8 unknown")
        unknowns = preview.get_by_test_id("unknown-items")
        expect(unknowns.locator('[data-criterion="fix_activity"]')).to_have_count(0)
        expect(unknowns.locator('[data-criterion="prophylaxis"]')).to_have_count(1)
        # The sticky button bar carries the same count, for a phone where the checklist is far below.
        expect(phone.get_by_test_id("preview-badge")).to_have_text("8 unknown")
        expect(phone.get_by_role("button", name="Submit for review")).to_be_in_viewport()
        assert not overflows(phone)
        screenshot(phone, "prescriber-request-form-390")

        phone.get_by_role("button", name="Submit for review").click()
        # Lines are still unknown: the clinic is asked to confirm, and does.
        phone.get_by_label(re.compile(r"^Submit anyway")).check()
        phone.get_by_role("button", name="Submit for review").click()
        expect(phone.get_by_test_id("case-status")).to_have_text("Submitted")
        case = Case.objects.get(patient=patient)
        assert case.status == Status.SUBMITTED
        assert case.facts["fix_activity_value"] == "1"
        assert not overflows(phone)
        screenshot(phone, "prescriber-case-390")
        assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e.lower()]
    finally:
        context.close()
