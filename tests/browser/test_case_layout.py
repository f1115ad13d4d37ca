"""The case page is laid out for deciding (issue 16), measured in Chromium at 1280x800: the
recommendation and the counts are in the first viewport; every checklist status is either there
or, scrolled to, visible together with the Approve, Deny and Pend buttons (the actions stay in
view); a clean case is approved in at most 3 clicks after opening it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from accounts.models import User
from criteria.fep_2024 import ALL, NONE, REQ, section
from reviews.models import ChecklistOverride
from tests.browser.journeys import PHONE, script_errors, signed_in
from tests.browser.support import axe_violations, describe, screenshot
from tests.factories import make_case
from tests.reviews.views.reviewer.helpers import missing_hiv_facts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP: ViewportSize = {"width": 1280, "height": 800}
HIV_RULING = "HIV-1/2 antibody negative on the attached lab report"


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


def approve_counting_clicks(page: Page, opener: Locator) -> int:
    """Approve the open case from `opener` (what shows the approval form); the clicks it took."""
    clicks = 0
    opener.click()
    clicks += 1
    submit = page.get_by_role("button", name="Approve and issue authorization")
    expect(submit).to_be_visible()
    submit.click()
    clicks += 1
    expect(page.get_by_test_id("case-status")).to_have_text("Approved")
    return clicks


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
        assert (
            approve_counting_clicks(page, page.locator("#actions summary", has_text="Approve")) <= 3
        )


def test_it_offers_a_skip_link_to_the_actions(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        page.get_by_role("link", name="Skip to the actions").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_server.url}/review/cases/{case.pk}/#actions")


# --- ruling on a line from its row (htmx) -------------------------------------------------------


def test_it_rules_a_line_from_its_row_in_place(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    lines = len(case.checklist["lines"])
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
        summary = page.get_by_test_id("case-summary")
        expect(summary).to_contain_text(f"{lines - 1} met")
        expect(summary).to_contain_text("1 unknown")
        expect(page.locator("#approve-form")).to_contain_text("Not yet: HIV status")
        row = page.locator("#line-excl_hiv")  # the line's tbody: its row and its form

        row.get_by_role("link", name="Rule… on HIV status").click()
        form = row.get_by_test_id("rule-form")
        expect(form).to_be_visible()
        # An exclusion's choices say whether the excluded condition is there.
        for choice in ("Exclusion absent", "Exclusion present", "Unknown"):
            expect(form.get_by_label(choice, exact=True)).to_be_visible()
        expect(form.get_by_label("Met", exact=True)).to_have_count(0)
        expect(form.get_by_label("Exclusion absent", exact=True)).to_be_focused()
        form.get_by_label("Exclusion absent", exact=True).check()
        screenshot(page, "rule-a-line", full_page=False)

        # No reason: refused in the row, nothing recorded.
        form.get_by_role("button", name="Record ruling").click()
        expect(row).to_contain_text("Give a reason: the evidence that settles the line.")
        assert not ChecklistOverride.objects.filter(case=case).exists()

        row.get_by_label("Reason (the evidence that settles it)").fill(HIV_RULING)
        row.get_by_role("button", name="Record ruling").click()
        expect(row.get_by_test_id("rule-form")).to_have_count(0)
        expect(row.get_by_role("link", name="Rule… on HIV status")).to_be_focused()
        # The engine's result stays beside the ruling.
        expect(row.locator("td").first).to_have_text("Unknown: exclusion not ruled out")
        expect(row.locator("tr[data-criterion]")).to_have_attribute("data-status", "unknown")
        expect(row.get_by_test_id("line-ruling")).to_contain_text("Ruled: Exclusion absent")
        expect(row.get_by_test_id("line-ruling")).to_contain_text(HIV_RULING)
        # The summary and the approve panel follow, without a page load.
        expect(summary).to_contain_text(f"{lines} met")
        expect(summary).to_contain_text("0 unknown")
        expect(page.locator("#approve-form")).not_to_contain_text("Not yet")
        assert page.evaluate("window.sameDocument") is True
        assert ChecklistOverride.objects.get(case=case).status == "met"
        assert not script_errors(page)
        assert not (found := axe_violations(page)), describe(found)

        # And the case is approved from there.
        approve_counting_clicks(page, page.locator("#actions summary", has_text="Approve"))


def test_it_rules_a_requirement_met_not_met_or_unknown(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        row = page.locator("#line-prescriber")
        row.get_by_role("link", name="Rule… on Prescriber specialty").click()
        form = row.get_by_test_id("rule-form")
        for choice in ("Met", "Not met", "Unknown"):
            expect(form.get_by_label(choice, exact=True)).to_be_visible()
        expect(form).not_to_contain_text("Exclusion")
        form.get_by_role("link", name="Cancel").click()
        expect(row.get_by_test_id("rule-form")).to_have_count(0)
        expect(row.get_by_role("link", name="Rule… on Prescriber specialty")).to_be_visible()


# --- the phone: one line of actions that stays in view ------------------------------------------


def test_it_keeps_a_one_line_action_bar_in_view_on_a_phone(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=PHONE) as page:
        page.goto(f"/review/cases/{case.pk}/")
        bar = page.get_by_test_id("action-bar")
        for where in (
            'tr[data-criterion="age"]',
            'tr[data-criterion="lifetime_limit"]',
            "#facts-h",
        ):
            page.locator(where).scroll_into_view_if_needed()
            assert in_viewport(page, bar), where
        buttons = bar.locator(".btn")
        expect(buttons).to_have_count(4)  # Approve, Deny, Pend, All actions
        boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
        assert all(box is not None for box in boxes)
        tops = {round(box["y"]) for box in boxes if box is not None}
        assert len(tops) == 1, f"the bar wraps: buttons at {sorted(tops)}"
        # One line: no taller than one button's line of text plus the bar's own padding.
        line_height = float(
            buttons.first.evaluate("b => parseFloat(getComputedStyle(b).lineHeight)")
        )
        padding = float(
            bar.evaluate(
                "b => { const s = getComputedStyle(b); return parseFloat(s.paddingTop)"
                " + parseFloat(s.paddingBottom) + parseFloat(s.borderTopWidth) }"
            )
        )
        button_chrome = float(
            buttons.first.evaluate(
                "b => { const s = getComputedStyle(b); return parseFloat(s.paddingTop)"
                " + parseFloat(s.paddingBottom) + parseFloat(s.borderTopWidth)"
                " + parseFloat(s.borderBottomWidth) }"
            )
        )
        box = bar.bounding_box()
        assert box is not None
        assert box["height"] <= padding + button_chrome + line_height + 1, box
        assert box["height"] < padding + button_chrome + 2 * line_height
        assert not (found := axe_violations(page)), describe(found)

        # From anywhere on the page: the bar's Approve opens the approval (3 taps in all).
        page.locator('tr[data-criterion="excl_hiv"]').scroll_into_view_if_needed()
        screenshot(page, "case-phone", full_page=False)
        assert approve_counting_clicks(page, bar.get_by_role("link", name="Approve")) <= 3


def test_it_shows_no_phone_bar_beside_the_wide_actions(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        expect(page.get_by_test_id("action-bar")).to_be_hidden()
        assert not (found := axe_violations(page)), describe(found)


# --- the facts under the policy's sections -------------------------------------------------------


def test_it_groups_the_facts_under_the_policys_sections(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with signed_in(browser, live_server, pharmacist, viewport=LAPTOP) as page:
        page.goto(f"/review/cases/{case.pk}/")
        headings = page.get_by_test_id("fact-section")
        expect(headings).to_have_text(
            [
                section(REQ, "Diagnosis"),  # "Prior-Approval Requirements > Diagnosis"
                ALL,  # "... > Diagnosis > AND ALL of the following" (items 1 to 5 under it)
                NONE,  # "... > Diagnosis > AND NONE of the following": the exclusions
            ]
        )
        facts = page.get_by_role("heading", name="Patient and request").locator("xpath=..")
        expect(facts).to_contain_text("Factor IX activity")
        expect(facts).to_contain_text("1.0 %")
        expect(facts).to_contain_text("0.2 BU, Nijmegen-Bethesda assay")
        expect(facts).to_contain_text("Total bilirubin")
        expect(facts).not_to_contain_text("TBILI")
