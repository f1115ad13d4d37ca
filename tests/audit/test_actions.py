"""Every action on a case, made through the services, writes exactly one audit row naming the
right actor, role and organization."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case
from reviews.workflow import TransitionError
from tests.factories import approvable_facts, make_case

TINY_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@contextmanager
def one_row(action: str, actor: User, case: Case) -> Iterator[None]:
    """Asserts the block writes exactly one audit row: this action, by this actor, on the case."""
    before = AuditLog.objects.aggregate(last=Max("id"))["last"] or 0
    yield
    # The messages the move sends (notification.*) are audit rows of their own, checked in
    # tests/notifications.
    rows = list(AuditLog.objects.filter(id__gt=before).exclude(action__startswith="notification."))
    assert [r.action for r in rows] == [action]
    row = rows[0]
    assert (row.actor, row.actor_username, row.actor_role) == (actor, actor.username, actor.role)
    assert row.organization_id == actor.organization_id
    assert row.case_id == case.pk


def test_it_records_the_clinics_actions(riverside: User) -> None:
    draft = make_case(riverside, submit=False)
    with one_row("case.draft_saved", riverside, draft):
        services.case_update_draft(
            actor=riverside, case=draft, facts=approvable_facts(), urgency="standard"
        )
    with one_row("case.document_added", riverside, draft):
        upload = SimpleUploadedFile("x.pdf", TINY_PDF, content_type="application/pdf")
        services.document_attach(actor=riverside, case=draft, upload=upload, kind="lab_report")
    with one_row("case.submit", riverside, draft):
        services.case_submit(actor=riverside, case=draft)
    with one_row("case.withdraw", riverside, draft):
        services.case_withdraw(actor=riverside, case=draft, reason="Patient moved")


def test_it_records_the_creation_of_a_case(riverside: User) -> None:
    patient = make_case(riverside, submit=False).patient
    before = AuditLog.objects.aggregate(last=Max("id"))["last"]
    case = services.case_create(actor=riverside, patient=patient, facts=approvable_facts())
    rows = list(AuditLog.objects.filter(id__gt=before))
    assert [(r.action, r.actor, r.case_id) for r in rows] == [("case.created", riverside, case.pk)]


def test_it_records_a_pend_and_the_clinics_answer(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with one_row("case.pend", pharmacist, case):
        services.case_pend(actor=pharmacist, case=case, items=["Liver ultrasound report"])
    with one_row("case.answer_rfi", riverside, case):
        services.case_answer_rfi(actor=riverside, case=case, note="Report attached")


def test_it_records_claim_release_and_assign(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside)
    with one_row("case.claim", pharmacist, case):
        services.case_claim(actor=pharmacist, case=case)
    with one_row("case.release", pharmacist, case):
        services.case_release(actor=pharmacist, case=case)
    with one_row("case.assign", pharmacist, case):
        services.case_assign(actor=pharmacist, case=case, reviewer=director)


def test_it_records_an_override_and_an_approval(riverside: User, pharmacist: User) -> None:
    facts = {k: v for k, v in approvable_facts().items() if k != "hiv_status"}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    with one_row("case.override", pharmacist, case):
        services.checklist_override(
            actor=pharmacist, case=case, criterion_id="excl_hiv", status="met", reason="Lab 3/2"
        )
    with one_row("case.approve", pharmacist, case):
        services.case_approve(actor=pharmacist, case=case)


def test_it_records_an_escalation(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with one_row("case.escalate", pharmacist, case):
        services.case_escalate(actor=pharmacist, case=case, reason="Borderline liver stiffness")


def test_it_records_a_denial(riverside: User, pharmacist: User) -> None:
    facts = {**approvable_facts(), "prior_hemophilia_b_gene_therapy": True}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    with one_row("case.deny", pharmacist, case):
        services.case_deny(
            actor=pharmacist,
            case=case,
            failed_criteria=["excl_gene_therapy"],
            reason="A prior gene therapy for hemophilia B excludes a second.",
        )


def test_it_refuses_every_case_write_by_an_auditor(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    attempts = [
        lambda: services.case_claim(actor=auditor, case=case),
        lambda: services.case_pend(actor=auditor, case=case, items=["x"]),
        lambda: services.case_escalate(actor=auditor, case=case, reason="x"),
        lambda: services.checklist_override(
            actor=auditor, case=case, criterion_id="age", status="not_met", reason="x"
        ),
        lambda: services.case_approve(actor=auditor, case=case),
        lambda: services.case_withdraw(actor=auditor, case=case),
        lambda: services.patient_create(actor=auditor, member_id="A1", first_name="A"),
    ]
    before = AuditLog.objects.count()
    for attempt in attempts:
        with pytest.raises((services.ServiceError, TransitionError)):
            attempt()
    case.refresh_from_db()
    assert (case.status, case.assigned_to) == ("in_review", pharmacist)
    assert AuditLog.objects.count() == before
