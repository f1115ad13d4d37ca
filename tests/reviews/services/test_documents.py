"""services.document_remove: the clinic takes back a document it attached (issue 16)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, CaseEvent, Document
from reviews.views.documents import documents_by_criterion
from tests.factories import make_case, stored_document

PDF = b"%PDF-1.4\n% lab\n%%EOF\n"


def attach(user: User, case: Case, name: str = "lab.pdf") -> Document:
    upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    return services.document_attach(
        actor=user, case=case, upload=upload, kind="lab_report", supports=["excl_hiv"]
    )


def pended(clinic: User, reviewer: User) -> Case:
    case = make_case(clinic, claim_by=reviewer)
    return services.case_pend(actor=reviewer, case=case, items=["HIV serology result"])


def test_it_hides_a_removed_document_and_keeps_its_record(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    kept, wrong = attach(riverside, case, "mine.pdf"), attach(riverside, case, "other-patient.pdf")

    services.document_remove(actor=riverside, document=wrong, reason="Another patient's report")

    assert list(case.documents.all()) == [kept]
    assert [d["original_name"] for d in documents_by_criterion(case)["excl_hiv"]] == ["mine.pdf"]
    stored = Document.with_removed.get(pk=wrong.pk)
    assert stored.removed_by == riverside and stored.removed_at is not None
    assert stored.removal_reason == "Another patient's report"
    assert stored.file.read() == PDF  # kept: what a reviewer may have seen can be shown
    event = CaseEvent.objects.get(case=case, action="document_removed")
    assert event.reason == "Another patient's report"
    assert event.detail["document_id"] == wrong.pk
    assert event.detail["sha256"] == wrong.sha256
    assert AuditLog.objects.filter(case=case, action="case.document_removed").count() == 1


def test_it_leaves_removed_documents_out_of_the_checklist_and_the_decision(
    riverside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    document = attach(riverside, case)
    services.document_remove(actor=riverside, document=document)
    case = services.case_answer_rfi(actor=riverside, case=case, facts={"hiv_status": "negative"})
    assert documents_by_criterion(case) == {}
    decision = services.case_approve(actor=pharmacist, case=case)
    assert decision.snapshot["documents"] == []


@pytest.mark.parametrize("when", ["submitted", "in_review", "approved"])
def test_it_refuses_once_documents_can_no_longer_be_added(
    riverside: User, pharmacist: User, when: str
) -> None:
    case = make_case(riverside, submit=False)
    document = attach(riverside, case)
    case = services.case_submit(actor=riverside, case=case)
    if when != "submitted":
        case = services.case_claim(actor=pharmacist, case=case)
    if when == "approved":
        services.case_approve(actor=pharmacist, case=case)
    refusal = "already decided" if when == "approved" else "Documents can be removed from a draft"
    with pytest.raises(services.ServiceError, match=refusal):
        services.document_remove(actor=riverside, document=document)
    assert list(case.documents.all()) == [document]
    assert not CaseEvent.objects.filter(action="document_removed").exists()


def test_it_refuses_anyone_but_the_clinic_and_documents_it_did_not_attach(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    document = attach(riverside, case)
    for outsider in (lakeside, pharmacist):
        with pytest.raises(services.NotAllowed):
            services.document_remove(actor=outsider, document=document)
    payer_side = stored_document(case, pharmacist, "plan-note.pdf")
    with pytest.raises(services.NotAllowed, match="Only documents your clinic attached"):
        services.document_remove(actor=riverside, document=payer_side)
    assert set(case.documents.all()) == {document, payer_side}
    assert not CaseEvent.objects.filter(action="document_removed").exists()


def test_it_refuses_a_second_removal_and_an_overlong_reason(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    document = attach(riverside, case)
    with pytest.raises(services.ServiceError, match="longer than 500"):
        services.document_remove(actor=riverside, document=document, reason="x" * 501)
    assert list(case.documents.all()) == [document]
    services.document_remove(actor=riverside, document=document)
    with pytest.raises(services.ServiceError, match="already removed"):
        services.document_remove(actor=riverside, document=document)
    assert CaseEvent.objects.filter(action="document_removed").count() == 1
