"""The workbench in real Chromium: claim in place from the queue (htmx, through the CSP and the
CSRF header), decide on the case page, at desktop and phone width, with no serious axe findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from reviews.models import Case, Status
from tests.browser.support import AXE, describe, log_in, screenshot
from tests.factories import make_case

from .helpers import failing_facts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(params=[(1280, 900), (390, 844)], ids=["desktop", "phone"])
def screen(request: Any, browser: Browser, live_server: Any) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page: Page) -> list[Any]:
    """Serious and critical axe findings in the workbench's own part of the page (#main)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run('#main')")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def overflows(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


def test_it_claims_in_place_and_decides_on_the_case_page(
    screen: Page, riverside: User, pharmacist: User
) -> None:
    width = screen.viewport_size["width"] if screen.viewport_size else 0
    case = make_case(riverside, facts=failing_facts())
    make_case(riverside, urgency="expedited")
    errors: list[str] = []
    screen.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(screen, pharmacist)
    expect(screen.get_by_role("heading", name="Review queue")).to_be_visible()
    assert not overflows(screen)
    assert not (found := axe_violations(screen)), describe(found)
    screenshot(screen, f"reviewer-queue-{width}")

    # Claim without leaving the page: the marker survives because nothing reloaded.
    screen.evaluate("window.__noReload = true")
    row = screen.locator(f"#case-row-{case.pk}")
    row.get_by_role("button", name="Claim").click()
    expect(row.get_by_role("link", name="Open")).to_be_visible()
    assert screen.evaluate("window.__noReload") is True
    assert Case.objects.get(pk=case.pk).assigned_to == pharmacist

    row.get_by_role("link", name="Open").click()
    expect(screen.get_by_test_id("case-status")).to_have_text("In review")
    assert not overflows(screen)
    assert not (found := axe_violations(screen)), describe(found)
    screenshot(screen, f"reviewer-case-{width}")

    screen.get_by_text("Deny…").click()
    expect(screen.get_by_label("Reason in plain language (printed on the letter)")).to_contain_text(
        "above the policy's 2.0% maximum"
    )
    screen.get_by_role("button", name="Deny", exact=True).click()
    expect(screen.get_by_test_id("case-status")).to_have_text("Denied")
    expect(screen.get_by_test_id("letter")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == Status.DENIED
    assert not overflows(screen)
    assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e.lower()]


def test_it_filters_and_sorts_in_place(page: Page, riverside: User, pharmacist: User) -> None:
    standard = make_case(riverside)
    expedited = make_case(riverside, urgency="expedited")
    log_in(page, pharmacist)
    page.evaluate("window.__noReload = true")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)

    page.get_by_role("columnheader", name="Due").get_by_role("link").click()
    expect(rows.first).to_have_attribute("data-reference", standard.reference)
    expect(page.get_by_label("Sort by")).to_have_value("-due")  # swapped out of band

    page.get_by_label("Urgency").select_option("expedited")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", expedited.reference)
    assert "urgency=expedited" in page.url and "sort=-due" in page.url
    assert page.evaluate("window.__noReload") is True
