"""The appeal round trip in real Chromium: the clinic appeals a denial from its letter box with a
statement, a corrected fact and a lab report; the medical director who denied it is refused;
another medical director approves; the worker writes the appeal's letter and the clinic finds it
in its inbox."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import Role, User
from reviews import services
from reviews.models import Case, Decision
from tests.browser.journeys import approve, claim_from_queue, report_pdf, signed_in
from tests.conftest import PASSWORD
from tests.factories import approvable_facts, days_ago, make_case
from tests.reliability.servers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPEAT_LAB = report_pdf(
    "Riverside Clinical Laboratory - factor IX activity (repeat, off factor)",
    [f"Collected: {days_ago(3)}", "Factor IX activity 1% (one-stage assay)"],
)


def test_it_takes_an_appeal_from_the_clinic_to_another_director_and_back(
    browser: Browser,
    live_server: Any,
    celery_worker_process: subprocess.Popen[bytes],
    riverside: User,
    director: User,
) -> None:
    drew = User.objects.create_user(
        "drew", password=PASSWORD, role=Role.MEDICAL_DIRECTOR, first_name="Drew", last_name="Do"
    )
    denied = make_case(
        riverside, facts={**approvable_facts(), "fix_activity_value": "5"}, claim_by=director
    )
    services.case_deny(
        actor=director, case=denied, failed_criteria=["fix_activity"], reason="Above 2%."
    )
    decision = Decision.objects.get(case=denied)
    wait_until(lambda: bool(Decision.objects.get(pk=decision.pk).letter), "the letter", 60)

    with signed_in(browser, live_server, riverside) as clinic:
        clinic.goto(f"/clinic/requests/{denied.pk}/")
        clinic.get_by_role("link", name="Appeal this decision").click()
        clinic.get_by_label("Why the decision should change").fill(
            "The first sample was drawn during a factor IX infusion; the repeat is attached."
        )
        clinic.get_by_label("New or corrected facts (optional)").fill("fix_activity_value = 1")
        clinic.get_by_label("Supporting documents (PDF, PNG, JPEG)").set_input_files(
            {"name": "repeat-fix.pdf", "mimeType": "application/pdf", "buffer": REPEAT_LAB}
        )
        clinic.get_by_role("button", name="File the appeal").click()
        expect(clinic.get_by_role("alert")).to_contain_text("filed")
    appeal = Case.objects.get(appeal_of=denied)

    with signed_in(browser, live_server, director) as dana:
        claim_from_queue(dana, appeal.reference)
        approve(dana)
        refusal = dana.get_by_role("alert").filter(has_text="another medical director must decide")
        expect(refusal).to_be_visible()
    services.case_release(actor=director, case=appeal)

    with signed_in(browser, live_server, drew) as other:
        claim_from_queue(other, appeal.reference)
        approve(other)
        expect(other.get_by_test_id("case-status")).to_have_text("Approved")

    appeal_decision = Decision.objects.get(case=appeal)
    wait_until(lambda: bool(Decision.objects.get(pk=appeal_decision.pk).letter), "letter", 60)
    with signed_in(browser, live_server, riverside) as clinic:
        expect(clinic.get_by_test_id("unread-badge")).to_be_visible()
        clinic.get_by_test_id("inbox-link").click()
        inbox = clinic.get_by_test_id("inbox")
        expect(inbox).to_contain_text(f"{appeal.reference}: appeal decided")
        expect(inbox).to_contain_text(f"{appeal.reference}: determination letter ready")
        clinic.get_by_role("button", name=f"Open {appeal.reference}").first.click()
        expect(clinic.get_by_test_id("case-status")).to_have_text("Approved")
