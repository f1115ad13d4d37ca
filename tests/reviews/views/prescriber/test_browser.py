"""The request form in real Chromium at phone width: the htmx checklist preview updates as the
form is filled (through the CSP, the CSRF header and the vendored htmx), and nothing overflows."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from accounts.models import User
from reviews.models import Case, Status
from tests.conftest import PASSWORD
from tests.factories import days_ago, make_patient

# Playwright's sync API runs an event loop in this thread; the ORM calls between steps are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("PA_SCREENSHOT_DIR", "/tmp/pa-screenshots"))
PHONE: ViewportSize = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def on_phone(base_url: str, scenario: Callable[[Page], None]) -> None:
    """Run the scenario in Chromium at phone width, in a thread of its own: Playwright's sync API
    refuses a thread in which another test module's Playwright is still running."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: ./test installs Debian's chromium package when it can")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_context(base_url=base_url, viewport=PHONE).new_page()
                page.set_default_timeout(15_000)
                try:
                    scenario(page)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's own thread below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(180)
    assert not thread.is_alive(), "the browser scenario did not finish"
    if failures:
        raise failures[0]


def log_in(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def overflows(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def test_it_previews_and_submits_a_request_on_a_phone(live_server: Any, riverside: User) -> None:
    patient = make_patient(riverside, last_name="Moreno")

    def scenario(phone: Page) -> None:
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SCREENSHOTS / "prescriber-request-form-390.png"), full_page=True)

        phone.get_by_role("button", name="Submit for review").click()
        expect(phone.get_by_test_id("case-status")).to_have_text("Submitted")
        case = Case.objects.get(patient=patient)
        assert case.status == Status.SUBMITTED
        assert case.facts["fix_activity_value"] == "1"
        assert not overflows(phone)
        phone.screenshot(path=str(SCREENSHOTS / "prescriber-case-390.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e.lower()]

    on_phone(live_server.url, scenario)
