"""Post/redirect/get on every form of the portal (issue 16): a failed POST never leaves the
browser on a POST-only address. Either it redirects to a page's GET address (which then shows
the error), or the form posts to its own page's address and comes back rendered there; either
way the error is shown and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.forms_prescriber import initial_from_facts
from reviews.models import Case, CaseEvent, Document, Patient
from tests.conftest import client_for
from tests.factories import make_case, make_patient
from tests.reviews.views.prescriber.conftest import request_post


def pended(riverside: User, pharmacist: User) -> Case:
    case = make_case(riverside, claim_by=pharmacist)
    return services.case_pend(actor=pharmacist, case=case, items=["HIV serology result"])


def denied(riverside: User, pharmacist: User) -> Case:
    facts = {**make_case(riverside, submit=False).facts, "fix_activity_value": "5"}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    services.case_deny(actor=pharmacist, case=case, failed_criteria=["fix_activity"], reason="x")
    return case


# Each clinic form: (the page's GET address, the address it posts to, data that fails, what the
# page then says). Built from the named users.
Scenario = Callable[[dict[str, User]], tuple[str, str, dict[str, Any], str]]


def patient_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    url = reverse("prescriber:patient_create")
    return url, url, {"member_id": "X1"}, "This field is required."


def request_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    patient = make_patient(users["riverside"])
    url = reverse("prescriber:case_create")
    data = request_post(patient.pk, prescriber_npi="1234567890")
    return url, url, data, "Prescriber NPI"


def draft_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = make_case(users["riverside"], submit=False)
    url = reverse("prescriber:case_edit", args=[case.pk])
    return url, url, request_post(prescriber_npi="1234567890"), "Prescriber NPI"


def answer_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = pended(users["riverside"], users["phil"])
    url = reverse("prescriber:case_answer", args=[case.pk])
    unchanged = {k: str(v) for k, v in initial_from_facts(case.facts).items()}
    return url, url, {**unchanged, "note": ""}, "Give the requested information"


def document_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = make_case(users["riverside"], submit=False)
    page = reverse("prescriber:case_detail", args=[case.pk])
    upload = SimpleUploadedFile("labs.pdf", b"MZ not a pdf")
    data = {"kind": "lab_report", "file": upload}
    return page, reverse("prescriber:document_upload", args=[case.pk]), data, "Only PDF, PNG"


def answer_page_document_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = pended(users["riverside"], users["phil"])
    page = reverse("prescriber:case_answer", args=[case.pk])
    data = {"kind": "lab_report", "file": SimpleUploadedFile("big.pdf", b"")}
    return page, reverse("prescriber:document_upload", args=[case.pk]), data, "empty"


def submit_button(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = make_case(users["riverside"], facts={"hiv_status": "negative"}, submit=False)
    page = reverse("prescriber:case_detail", args=[case.pk])
    return page, reverse("prescriber:case_submit", args=[case.pk]), {}, "Submit anyway"


def withdraw_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = denied(users["riverside"], users["phil"])
    page = reverse("prescriber:case_detail", args=[case.pk])
    return page, reverse("prescriber:case_withdraw", args=[case.pk]), {}, "already decided"


def appeal_form(users: dict[str, User]) -> tuple[str, str, dict[str, Any], str]:
    case = denied(users["riverside"], users["phil"])
    url = reverse("prescriber:case_appeal", args=[case.pk])
    return url, url, {"statement": "", "urgency": "standard"}, "This field is required."


SCENARIOS: dict[str, Scenario] = {
    "patient": patient_form,
    "request": request_form,
    "draft": draft_form,
    "answer": answer_form,
    "documents": document_form,
    "documents on the answer page": answer_page_document_form,
    "submit": submit_button,
    "withdraw": withdraw_form,
    "appeal": appeal_form,
}


def changes(client: Client) -> tuple[int, ...]:
    return (
        Patient.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Document.with_removed.count(),
        AuditLog.objects.exclude(action__in=["case.view", "auth.login"]).count(),
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_it_never_leaves_a_failed_form_at_a_post_only_address(
    name: str, users: dict[str, User]
) -> None:
    page, target, data, said = SCENARIOS[name](users)
    client = client_for(users["riverside"])
    before = changes(client)

    response = client.post(target, data, follow=True)

    # Where the browser is now: the page's own GET address, never the POST-only one.
    assert response.request["PATH_INFO"] == page
    assert response.status_code == 200
    assert said in response.content.decode()
    if page != target:
        assert response.redirect_chain, "a POST-only address answers with a redirect"
    # A refresh there is a GET of the page (no form sent again), and it answers.
    assert client.get(page).status_code == 200
    assert changes(client) == before


def test_it_redirects_a_refused_reviewer_form_to_the_case_page(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    client = client_for(pharmacist)
    response = client.post(
        reverse("reviewer:escalate", args=[case.pk]), {"escalate-reason": ""}, follow=True
    )
    assert response.request["PATH_INFO"] == reverse("reviewer:case", args=[case.pk])
    assert response.redirect_chain and response.status_code == 200
    assert "Check the highlighted fields" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "in_review"
