"""The auditor's journey in real Chromium: find a case's timeline from the log, export the log's
rows as CSV and check them, and read the metrics for the cases the test made."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from tests.browser.journeys import downloaded, overflows, script_errors, signed_in
from tests.browser.scenes import LIVER_RULING, busy_queue, decided_case
from tests.browser.support import screenshot
from tests.factories import approvable_facts, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The case's own changes, in the order they happened (document_added comes before submit).
HISTORY = ["created", "document_added", "submit", "claim", "override", "pend", "answer_rfi",
           "approve"]  # fmt: skip


def test_it_lets_an_auditor_follow_a_case_export_its_log_and_read_the_metrics(
    browser: Browser,
    live_server: Any,
    riverside: User,
    lakeside: User,
    pharmacist: User,
    auditor: User,
) -> None:
    case = decided_case(riverside, pharmacist)
    denied = make_case(
        lakeside, facts={**approvable_facts(), "fix_activity_value": "5.0"}, claim_by=pharmacist
    )
    services.case_deny(
        actor=pharmacist,
        case=denied,
        failed_criteria=["fix_activity"],
        reason="Factor IX activity of 5% is above the policy's 2% maximum.",
    )
    open_cases = busy_queue(riverside, lakeside)

    with signed_in(browser, live_server, auditor) as page:
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        page.get_by_label("Case reference").fill(case.reference)
        page.get_by_role("button", name="Search").click()
        rows_shown = AuditLog.objects.filter(case=case).count()
        expect(page.get_by_test_id("result-count")).to_have_text(f"{rows_shown} rows")

        page.get_by_test_id("audit-rows").get_by_role("link", name=case.reference).first.click()
        expect(page.get_by_role("heading", name=f"Case {case.reference}")).to_be_visible()
        changes = page.get_by_test_id("timeline").locator('[data-kind="event"]')
        actions = [a for a in changes.evaluate_all("els => els.map(e => e.dataset.action)")]
        assert [a for a in actions if a in HISTORY] == HISTORY
        overrides = page.get_by_test_id("overrides")
        expect(overrides).to_contain_text("Liver health assessment")
        expect(overrides).to_contain_text(LIVER_RULING)
        expect(page.get_by_test_id("decision")).to_contain_text("Approved by Phil Park")
        assert not overflows(page)
        screenshot(page, "case-timeline", full_page=False)

        # Back to the search, and its rows as a CSV (the timeline view just now is one of them).
        page.go_back()
        page.reload()
        rows_now = AuditLog.objects.filter(case=case).count()
        assert rows_now == rows_shown + 1
        expect(page.get_by_test_id("result-count")).to_have_text(f"{rows_now} rows")
        with page.expect_download() as info:
            page.get_by_role("link", name="Download these rows (CSV)").click()
        assert info.value.suggested_filename == "audit-log.csv"
        exported = list(csv.DictReader(io.StringIO(downloaded(info.value).decode("utf-8"))))
        assert len(exported) == rows_now
        assert {row["case"] for row in exported} == {case.reference}
        logged = {row["action"] for row in exported}
        assert {f"case.{action}" for action in HISTORY} <= logged
        assert "case.view" in logged
        views = [r for r in exported if r["action"] == "case.view" and r["user"] == "audrey"]
        assert views and '"page": "audit timeline"' in views[0]["detail"]
        # The export is itself on the record, with the filter it was made with.
        export = AuditLog.objects.get(action="audit.export", actor_username="audrey")
        assert export.detail["filters"] == {"case": case.reference}

        page.get_by_role("link", name="Metrics", exact=True).first.click()
        expect(page.get_by_role("heading", name="Review metrics")).to_be_visible()
        table = page.get_by_test_id("metrics-table")
        made = [case, denied, *open_cases]
        standard = sum(c.urgency == "standard" for c in made)
        expedited = len(made) - standard
        received = table.get_by_role("row", name="Requests received").get_by_role("cell")
        expect(received).to_have_text([str(standard), str(expedited)])
        # One of each urgency was decided: the denial (standard) and the approval (expedited).
        approved = table.get_by_role("row", name="Approved (of received)").get_by_role("cell")
        expect(approved).to_have_text(["0.0%", f"{100 / expedited:.1f}%"])
        denials = table.get_by_role("row", name="Denied (of received)").get_by_role("cell")
        expect(denials).to_have_text([f"{100 / standard:.1f}%", "0.0%"])
        assert not overflows(page)
        screenshot(page, "metrics")
        assert not script_errors(page)
