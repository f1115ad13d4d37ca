"""The main pages of each role in real Chromium, at 1280 px and at a 390 px phone: axe-core finds
no serious or critical problem, nothing scrolls sideways, and the page's key control is visible."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize

from accounts.models import User
from reviews import services
from tests.browser.journeys import DESKTOP, PHONE, overflows, signed_in
from tests.browser.scenes import busy_queue, decided_case
from tests.browser.support import axe_violations, describe
from tests.factories import make_case, make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Key = Callable[[Page], Locator]


def button(name: str) -> Key:
    return lambda page: page.get_by_role("button", name=name, exact=True).first


def link(name: str) -> Key:
    return lambda page: page.get_by_role("link", name=name, exact=True).first


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1280", "390"])
def viewport(request: Any) -> ViewportSize:
    return request.param


def problems_on(page: Page, path: str, key: Key, ready: str = "main") -> list[str]:
    """What is wrong with one page: axe's serious/critical findings, overflow, a hidden control."""
    page.goto(path)
    page.locator(ready).first.wait_for()
    found = []
    if violations := axe_violations(page):
        found.append(f"{path}: {describe(violations)}")
    if overflows(page):
        found.append(
            f"{path}: scrolls sideways ({page.evaluate('document.documentElement.scrollWidth')} px)"
        )
    control = key(page)
    if not control.is_visible():
        found.append(f"{path}: {control} is not visible")
    return found


def check(page: Page, pages: list[tuple[str, Key] | tuple[str, Key, str]]) -> None:
    found = [problem for spec in pages for problem in problems_on(page, *spec)]
    assert not found, "\n".join(found)


def test_it_keeps_the_login_page_accessible(
    browser: Browser, live_server: Any, viewport: ViewportSize, db: None
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    try:
        check(context.new_page(), [("/accounts/login/", button("Log in"))])
    finally:
        context.close()


def test_it_keeps_the_clinic_pages_accessible(
    browser: Browser, live_server: Any, viewport: ViewportSize, riverside: User, pharmacist: User
) -> None:
    patient = make_patient(riverside, first_name="Daniel", last_name="Moreno")
    pended = make_case(riverside, patient=patient, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pended, items=["A current HIV result, with date."])
    with signed_in(browser, live_server, riverside, viewport) as page:
        check(
            page,
            [
                ("/clinic/", link("New request")),
                (
                    f"/clinic/requests/new/?patient={patient.pk}",
                    button("Submit for review"),
                    "[data-testid=unknown-count]",
                ),
                (f"/clinic/requests/{pended.pk}/", link("Answer request for information")),
            ],
        )


def test_it_keeps_the_reviewer_pages_accessible(
    browser: Browser,
    live_server: Any,
    viewport: ViewportSize,
    riverside: User,
    lakeside: User,
    pharmacist: User,
) -> None:
    waiting = busy_queue(riverside, lakeside)
    held = services.case_claim(actor=pharmacist, case=waiting[0])
    with signed_in(browser, live_server, pharmacist, viewport) as page:
        check(
            page,
            [
                ("/review/", button("Claim")),
                (f"/review/cases/{held.pk}/", lambda page: page.get_by_text("Approve…")),
            ],
        )


def test_it_keeps_the_audit_pages_accessible(
    browser: Browser,
    live_server: Any,
    viewport: ViewportSize,
    riverside: User,
    pharmacist: User,
    auditor: User,
) -> None:
    case = decided_case(riverside, pharmacist)
    with signed_in(browser, live_server, auditor, viewport) as page:
        check(
            page,
            [
                ("/audit/", button("Search")),
                (f"/audit/cases/{case.pk}/", link("Audit log")),
                ("/audit/metrics/", button("Show")),
            ],
        )
