"""Determination letters: rendered for real with WeasyPrint, read back with pypdf."""

import io
import subprocess
import time
from datetime import timedelta

import pytest
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from reviews import services, tasks
from reviews.letters import render_letter_pdf
from reviews.models import Case, CaseEvent, Decision
from tests.factories import approvable_facts, make_case


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with whitespace folded, so line breaks do not matter."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def stored_text(letter: FieldFile) -> str:
    with letter.open("rb") as handle:
        return pdf_text(handle.read())


def _denied(riverside: User, pharmacist: User) -> tuple[Case, Decision]:
    """Denied on two lines: factor IX activity (the engine's not met) and the inhibitor test
    (met by the engine, ruled not met by the reviewer on the lab report)."""
    facts = {**approvable_facts(), "fix_activity_value": "5"}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist,
        case=case,
        criterion_id="excl_inhibitor_history",
        status="not_met",
        reason="The attached lab report shows an inhibitor titer of 1.2 BU in 2019.",
    )
    decision = services.case_deny(
        actor=pharmacist,
        case=case,
        failed_criteria=["fix_activity", "excl_inhibitor_history"],
        reason="Factor IX activity is above 2% and there is a history of inhibitors.",
    )
    return case, decision


def test_it_states_each_failed_criterion_with_its_section_the_reviewer_and_the_appeal_deadline(
    riverside: User, pharmacist: User
) -> None:
    case, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    assert "Decision: DENIED" in text
    assert case.reference in text and case.patient.member_id in text
    fix_line = next(ln for ln in case.checklist["lines"] if ln["id"] == "fix_activity")
    assert " ".join(fix_line["wording"].split()) in text
    assert f"section: {fix_line['section']}" in text
    assert fix_line["reason"] in text  # what the engine found
    assert "History of factor IX inhibitors" in text
    assert "inhibitor titer of 1.2 BU in 2019" in text  # what the reviewer found
    assert "Phil Park, PharmD, BCPS" in text
    assert "Pharmacist reviewer" in text
    deadline = timezone.localdate(decision.created_at) + timedelta(days=180)
    assert "within 180 days" in text
    assert f"by {deadline:%B} {deadline.day}, {deadline.year}" in text
    assert case.policy_id in text


def test_it_states_the_authorization_on_an_approval(riverside: User, director: User) -> None:
    case = make_case(riverside, claim_by=director)
    decision = services.case_approve(actor=director, case=case, reason="All verified.")

    text = pdf_text(render_letter_pdf(decision))

    assert "Decision: APPROVED" in text
    authorization = case.authorization
    assert authorization.number in text
    assert "1 infusion of Hemgenix (HCPCS J1411)" in text
    assert f"{authorization.valid_to:%B} {authorization.valid_to.day}, " in text
    assert "Dana Dorsey, MD, Hematology" in text
    assert "right to appeal" not in text


def test_it_stores_the_letter_once_on_the_decision(riverside: User, pharmacist: User) -> None:
    case, decision = _denied(riverside, pharmacist)

    name = tasks.generate_letter(decision.pk)
    again = tasks.generate_letter(decision.pk)

    decision.refresh_from_db()
    assert name == again == decision.letter.name
    assert decision.letter_generated_at is not None
    assert "Decision: DENIED" in stored_text(decision.letter)
    assert CaseEvent.objects.filter(case=case, action="letter_generated").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_makes_the_letter_in_the_real_worker_after_an_approval(
    celery_worker_process: subprocess.Popen[bytes], riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    decision = services.case_approve(actor=pharmacist, case=case)

    deadline = time.monotonic() + 60
    while not decision.letter and time.monotonic() < deadline:
        time.sleep(0.25)
        decision.refresh_from_db()
    assert decision.letter, "the worker did not store the letter within 60 s"
    text = stored_text(decision.letter)
    assert "Decision: APPROVED" in text and case.reference in text
    event = CaseEvent.objects.get(case=case, action="letter_generated")
    assert event.actor is None and event.actor_role == "system"
