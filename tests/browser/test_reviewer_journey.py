"""The pharmacist's journey in real Chromium: the second factor, the queue, the oldest expedited
case claimed, its checklist and evidence read, a line ruled on with a reason, a pend the clinic
answers (in its own context, through its pages), the approval, and a second approval for the
same member (another clinic's request) refused with a clear message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from accounts.models import User
from reviews.models import Authorization, Case, Status
from tests.browser.journeys import (
    answer,
    approve,
    downloaded,
    overflows,
    pdf_text,
    pend,
    script_errors,
    signed_in,
)
from tests.browser.scenes import (
    GENE_THERAPY_ASK,
    LIVER_RULING,
    SHARED_MEMBER,
    busy_queue,
    expedited_case_with_report,
)
from tests.browser.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def claim_oldest_expedited(page: Page) -> str:
    """Filter to expedited cases, oldest first (in place), claim the top one; its reference."""
    # One change at a time, each waited for, as a person would see the table update.
    page.get_by_label("Urgency").select_option("expedited")
    expect(page).to_have_url(re.compile(r"urgency=expedited"))
    page.get_by_label("Sort by").select_option("submitted")
    expect(page).to_have_url(re.compile(r"urgency=expedited.*sort=submitted"))
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    top = rows.first
    reference = top.get_attribute("data-reference") or ""
    top.get_by_role("button", name="Claim").click()
    # The claimed row is swapped in place; find it again by its reference.
    rows.filter(has_text=reference).get_by_role("link", name="Open").click()
    return reference


def liver_line(page: Page) -> Locator:
    return page.get_by_test_id("checklist").locator('tr[data-criterion="liver_assessment"]')


def read_the_evidence(page: Page) -> None:
    """The liver line is unknown to the engine; the report attached to it settles it."""
    line = liver_line(page)
    expect(line).to_have_attribute("data-status", "unknown")
    expect(line).to_contain_text("missing: elastography")
    with page.expect_download() as info:
        line.get_by_role("link", name="elastography-report.pdf", exact=True).click()
    assert "5.1 kPa" in pdf_text(downloaded(info.value))


def rule_the_line_met(page: Page) -> None:
    rows = page.locator("#line-liver_assessment")  # the line's row and its ruling form's row
    rows.get_by_role("link", name="Rule… on Liver health assessment").click()
    rows.get_by_label("Met", exact=True).check()
    rows.get_by_label("Reason (the evidence that settles it)").fill(LIVER_RULING)
    rows.get_by_role("button", name="Record ruling").click()
    # The row comes back in place (htmx), the ruling in it.
    expect(rows.get_by_test_id("rule-form")).to_have_count(0)
    # Beside the engine's result, never in its place.
    line = liver_line(page)
    expect(line).to_have_attribute("data-status", "unknown")
    expect(line.locator("td").last).to_contain_text("Met")
    expect(line.locator("td").last).to_contain_text(LIVER_RULING)


def test_it_takes_a_pharmacist_from_the_queue_to_an_approval_and_refuses_a_second(
    browser: Browser, live_server: Any, riverside: User, lakeside: User, pharmacist: User
) -> None:
    oldest = expedited_case_with_report(riverside)
    others = busy_queue(riverside, lakeside)
    twin = next(c for c in others if c.organization_id == lakeside.organization_id)
    assert twin.member_id == oldest.member_id == SHARED_MEMBER

    with (
        signed_in(browser, live_server, pharmacist) as reviewer,
        signed_in(browser, live_server, riverside) as clinic,
    ):
        expect(reviewer.get_by_role("heading", name="Review queue")).to_be_visible()
        expect(reviewer.get_by_test_id("queue-row")).to_have_count(1 + len(others))
        screenshot(reviewer, "review-queue")

        assert claim_oldest_expedited(reviewer) == oldest.reference
        expect(reviewer.get_by_role("heading", name=oldest.reference)).to_be_visible()
        expect(reviewer.get_by_test_id("case-status")).to_have_text("In review")
        expect(reviewer.get_by_test_id("case-holder")).to_have_text("Held by you")
        expect(reviewer.locator("dl.facts dt", has_text="Hepatic ultrasound")).to_be_visible()
        read_the_evidence(reviewer)
        rule_the_line_met(reviewer)
        assert not overflows(reviewer)
        screenshot(reviewer, "review-case", down_to=liver_line(reviewer))

        pend(
            reviewer,
            "Needed before we can approve.",
            items=GENE_THERAPY_ASK,
        )
        answer(
            clinic,
            oldest.pk,
            {"Another hemophilia B gene therapy considered": "no"},
            "No other gene therapy is planned for Mr. Whitfield.",
        )

        reviewer.reload()
        expect(reviewer.get_by_test_id("case-status")).to_have_text("In review")
        expect(reviewer.get_by_test_id("rfi")).to_contain_text("No other gene therapy is planned")
        approve(reviewer)
        expect(reviewer.get_by_test_id("case-status")).to_have_text("Approved")
        authorization = Authorization.objects.get(case=oldest)
        expect(reviewer.get_by_test_id("decision")).to_contain_text(authorization.number)

        # Lakeside asked for the same member: the lifetime limit refuses a second approval.
        reviewer.get_by_role("link", name="Review queue").first.click()
        reviewer.get_by_label("Reference or member ID").fill(SHARED_MEMBER)
        reviewer.get_by_label("Reference or member ID").press("Enter")
        row = reviewer.get_by_test_id("queue-row").filter(has_text=twin.reference)
        expect(reviewer.get_by_test_id("queue-row")).to_have_count(1)
        row.get_by_role("button", name="Claim").click()
        row.get_by_role("link", name="Open").click()
        expect(reviewer.get_by_test_id("case-status")).to_have_text("In review")
        approve(reviewer)
        expect(reviewer.get_by_role("alert").first).to_have_text(
            f"Member {SHARED_MEMBER} already has an approved Hemgenix authorization on file. The "
            "policy allows one infusion per lifetime, so this case cannot be approved; nothing "
            "was changed."
        )
        expect(reviewer.get_by_test_id("case-status")).to_have_text("In review")
        twin.refresh_from_db()
        assert twin.status == Status.IN_REVIEW
        assert Authorization.objects.filter(member_id=SHARED_MEMBER).count() == 1
        assert not Case.objects.get(pk=twin.pk).decided_at
        assert not script_errors(reviewer) and not script_errors(clinic)
