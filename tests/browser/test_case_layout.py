"""The case page is laid out for deciding (issue 16), measured in Chromium at 1280x800: the
recommendation and the counts are in the first viewport; every checklist status is either there
or, scrolled to, visible together with the Approve, Deny and Pend buttons (the actions stay in
view); a clean case is approved in at most 3 clicks after opening it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from accounts.models import User
from tests.browser.journeys import signed_in
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP: ViewportSize = {"width": 1280, "height": 800}


def in_viewport(page: Page, locator: Locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def action_buttons(page: Page) -> list[Locator]:
    actions = page.locator("#actions")
    return [
        actions.locator("summary", has_text="Approve"),
        actions.locator("summary", has_text="Deny"),
        actions.locator("summary", has_text="Pend"),
    ]


def test_it_shows_the_summary_every_status_and_the_actions_together_at_1280x800(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")

        assert in_viewport(page, page.get_by_test_id("summary-recommendation"))
        assert in_viewport(page, page.get_by_test_id("summary-counts"))
        for button in action_buttons(page):
            assert in_viewport(page, button), button
        statuses = page.get_by_test_id("checklist").locator(
            "tr[data-criterion] td:first-child .badge"
        )
        expect(statuses).to_have_count(len(case.checklist["lines"]))
        for index in range(statuses.count()):
            status = statuses.nth(index)
            status.scroll_into_view_if_needed()
            assert in_viewport(page, status), index
            # Scrolled to any line, the actions are still there beside it.
            for button in action_buttons(page):
                assert in_viewport(page, button), (index, button)


def test_it_approves_a_clean_case_in_at_most_three_clicks(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        clicks = 0
        page.locator("#actions summary", has_text="Approve").click()
        clicks += 1
        page.get_by_role("button", name="Approve and issue authorization").click()
        clicks += 1
        expect(page.get_by_test_id("case-status")).to_have_text("Approved")
        assert clicks <= 3


def test_it_offers_a_skip_link_to_the_actions(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        page.get_by_role("link", name="Skip to the actions").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_server.url}/review/cases/{case.pk}/#actions")
