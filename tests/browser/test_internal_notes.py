"""Internal notes in Chromium (issue 16): a pharmacist adds one from the case page and it appears
in place (htmx, no page load), newest first, with its author and time zone; an empty note is
refused in place; the approve panel shows the dose and vials before the click; the page stays
axe-clean; the clinic's page of the same case never shows the note."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from accounts.models import User
from reviews.models import InternalNote
from tests.browser.journeys import script_errors, signed_in
from tests.browser.support import axe_violations, describe, screenshot
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_adds_notes_in_place_that_the_clinic_never_sees(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist, body_weight_kg=Decimal("64.2"))
    with signed_in(browser, live_server, pharmacist) as page:
        page.goto(f"/review/cases/{case.pk}/")
        # Before the click: 64.2 kg x 2 mL/kg = 128.4 mL, 13 single-dose 10 mL vials.
        page.locator("#actions summary", has_text="Approve").click()
        expect(page.get_by_test_id("approval-dose")).to_contain_text("128.4 mL")
        expect(page.get_by_test_id("approval-dose")).to_contain_text("13 single-dose 10 mL vials")

        notes = page.get_by_test_id("internal-notes")
        notes.scroll_into_view_if_needed()
        page.evaluate("window.loadedOnce = true")  # gone if the page loads again
        notes.get_by_role("button", name="Add note").click()
        expect(page.get_by_test_id("internal-notes")).to_contain_text("Write the note first")
        for text in ("Asked the HTC for the latest weight.", "Weight confirmed: 64.2 kg."):
            page.get_by_label("Add an internal note").fill(text)
            page.get_by_test_id("internal-notes").get_by_role("button", name="Add note").click()
            expect(page.get_by_test_id("note").first).to_contain_text(text)
        assert page.evaluate("window.loadedOnce") is True
        listed = page.get_by_test_id("note")
        expect(listed).to_have_count(2)
        expect(listed.first).to_contain_text("Weight confirmed")  # newest first
        expect(listed.first).to_contain_text(pharmacist.display_name)
        expect(listed.first).to_contain_text(timezone.localtime().strftime("%Z"))
        # The pointer still rests on "Add note": axe would read its colours halfway through
        # Bootstrap's hover transition. At rest, and with transitions off (reduced motion).
        page.emulate_media(reduced_motion="reduce")
        page.mouse.move(0, 0)
        assert describe(axe_violations(page)) == describe([])
        screenshot(page, "internal-notes", full_page=False)
        assert not script_errors(page)
    assert InternalNote.objects.filter(case=case).count() == 2

    with signed_in(browser, live_server, riverside) as clinic:
        clinic.goto(f"/clinic/requests/{case.pk}/")
        expect(clinic.get_by_role("heading", name=case.reference)).to_be_visible()
        body = clinic.locator("body").inner_text()
        assert "Weight confirmed" not in body and "Internal notes" not in body
