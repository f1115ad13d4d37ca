"""Answering a request for information keeps what was typed when a document is attached or
removed on the same page (issue 16): before, the Documents form reloaded the page and the facts
typed into the answer form were lost without a word (the preview went back to "1 unknown")."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from accounts.models import User
from reviews.models import Document, Status
from tests.browser.journeys import report_pdf, script_errors, signed_in
from tests.reviews.views.prescriber.test_answer import pended_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_keeps_typed_facts_when_attaching_and_removing_a_document(
    browser: Browser, live_server: Any, riverside: User, pharmacist: User, tmp_path: Any
) -> None:
    case = pended_case(riverside, pharmacist)  # HIV status not on file
    report = tmp_path / "hiv-serology.pdf"
    report.write_bytes(report_pdf("HIV serology", ["HIV-1/2 antigen/antibody: negative"]))
    answer_url = reverse("prescriber:case_answer", args=[case.pk])

    with signed_in(browser, live_server, riverside) as page:
        page.goto(answer_url)
        answer = page.locator("#answer-form")
        count = page.get_by_test_id("checklist-preview").get_by_test_id("unknown-count")
        expect(count).to_contain_text("1 unknown")
        # The clinic types its answer first...
        answer.get_by_label("HIV status", exact=True).select_option("negative")
        answer.get_by_label("Note to the reviewer").fill("HIV negative, report attached.")
        expect(count).to_contain_text("Nothing unknown")
        preview = page.get_by_test_id("checklist-preview").inner_text()

        # ... then attaches the report with the Documents form above the answer.
        documents = page.locator("#documents")
        documents.get_by_label("Kind of document").select_option("lab_report")
        documents.get_by_label("File (PDF, PNG or JPEG)").set_input_files(str(report))
        documents.get_by_role("button", name="Attach").click()
        expect(page.get_by_test_id("documents-notice")).to_have_text("hiv-serology.pdf attached.")
        expect(page.get_by_test_id("documents")).to_contain_text("hiv-serology.pdf")

        # Nothing typed is lost and the preview still counts the typed answer.
        assert page.url.endswith(answer_url)
        expect(answer.get_by_label("HIV status", exact=True)).to_have_value("negative")
        expect(answer.get_by_label("Note to the reviewer")).to_have_value(
            "HIV negative, report attached."
        )
        expect(count).to_contain_text("Nothing unknown")
        assert page.get_by_test_id("checklist-preview").inner_text() == preview

        # A wrong file taken back, also in place.
        documents = page.locator("#documents")
        documents.get_by_text("Remove…").click()
        documents.get_by_role("button", name="Yes, remove hiv-serology.pdf").click()
        expect(page.get_by_test_id("documents-notice")).to_contain_text("hiv-serology.pdf removed")
        expect(answer.get_by_label("HIV status", exact=True)).to_have_value("negative")
        assert page.get_by_test_id("checklist-preview").inner_text() == preview

        # Attach it again and send the answer: both arrive.
        documents = page.locator("#documents")
        documents.get_by_label("Kind of document").select_option("lab_report")
        documents.get_by_label("File (PDF, PNG or JPEG)").set_input_files(str(report))
        documents.get_by_role("button", name="Attach").click()
        expect(page.get_by_test_id("documents-notice")).to_have_text("hiv-serology.pdf attached.")
        page.get_by_role("button", name="Send answer").click()
        expect(page.get_by_test_id("case-status")).to_have_text("In review")
        assert script_errors(page) == []

    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert case.facts["hiv_status"] == "negative"
    assert [d.original_name for d in Document.objects.filter(case=case)] == ["hiv-serology.pdf"]
    assert Document.with_removed.filter(case=case).count() == 2
