"""Internal notes never reach the clinic (issue 16): every surface the clinic reads of a case
(its pages, the REST API, FHIR $inquire, the letter, notifications and e-mails) is rendered
after payer staff wrote notes on it, in review and after the decision, and none shows the text."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from notifications.models import Notification
from reviews import services
from reviews.letters import render_letter_html, render_letter_pdf
from reviews.models import Case, CaseEvent, Decision
from tests.conftest import client_for
from tests.factories import make_case
from tests.fhir.support import inquiry, post
from tests.reviews.api.conftest import api_for
from tests.reviews.test_letters import pdf_text

SECRET = "Zebra-7731 the HTC may be overstating prophylaxis"


def _noted(case: Case, *authors: User) -> None:
    for author in authors:
        services.note_add(actor=author, case=case, body=f"{SECRET} ({author.username})")


def _clinic_surfaces(riverside: User, case: Case) -> dict[str, str]:
    clinic = client_for(riverside)
    surfaces = {
        "case list": clinic.get(reverse("prescriber:case_list") + "?show=all"),
        "case page": clinic.get(reverse("prescriber:case_detail", args=[case.pk])),
        "letter status": clinic.get(reverse("prescriber:letter_status", args=[case.pk])),
        "inbox": clinic.get(reverse("notifications:inbox")),
        "REST case": api_for(riverside).get(reverse("api:case_detail", args=[case.pk])),
        "REST list": api_for(riverside).get(reverse("api:cases")),
        "FHIR $inquire": post(
            clinic, "inquire", inquiry(pre_auth_ref=case.reference, member_id=case.member_id)
        ),
    }
    texts = {}
    for name, response in surfaces.items():
        assert response.status_code == 200, (name, response.status_code)
        texts[name] = response.content.decode()
    decision = Decision.objects.filter(case=case).first()
    if decision is not None:
        texts["letter (HTML)"] = render_letter_html(decision)
        texts["letter (PDF text)"] = pdf_text(render_letter_pdf(decision))
    texts["notifications"] = json.dumps(
        list(Notification.objects.values_list("subject", "body")), ensure_ascii=False
    )
    texts["e-mails"] = " ".join(f"{m.subject} {m.body}" for m in mail.outbox)
    texts["case history"] = json.dumps(
        list(CaseEvent.objects.filter(case=case).values("action", "reason", "detail")),
        ensure_ascii=False,
    )
    return texts


def _leaks(texts: dict[str, str]) -> list[str]:
    return [name for name, text in texts.items() if "Zebra-7731" in text]


@pytest.mark.parametrize("outcome", ["approved", "denied"])
def test_no_clinic_surface_shows_an_internal_note(
    riverside: User, pharmacist: User, director: User, outcome: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    _noted(case, pharmacist)
    assert _leaks(_clinic_surfaces(riverside, case)) == []

    if outcome == "approved":
        services.case_approve(actor=pharmacist, case=case, reason="All lines met")
    else:
        case = services.case_escalate(actor=pharmacist, case=case, reason="Second look")
        services.case_claim(actor=director, case=case)
        services.case_deny(
            actor=director,
            case=case,
            failed_criteria=[],
            reason="The benefit does not outweigh the liver risk for this patient.",
            basis="clinical_judgment",
            explanation="Fibrosis on elastography.",
        )
    _noted(case, pharmacist, director)

    texts = _clinic_surfaces(riverside, case)

    assert _leaks(texts) == []
    # The surfaces were real: the clinic's case page shows the case and its outcome.
    assert case.reference in texts["case page"]
    assert ("Approved" if outcome == "approved" else "Denied") in texts["case page"]


def test_payer_staff_see_the_notes_the_clinic_does_not(
    riverside: User, pharmacist: User, director: User, auditor: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    _noted(case, pharmacist, director)

    reviewer_page = client_for(director).get(reverse("reviewer:case", args=[case.pk]))
    auditor_page = client_for(auditor).get(reverse("audit:case", args=[case.pk]))

    for page in (reviewer_page.content.decode(), auditor_page.content.decode()):
        assert "Internal notes" in page
        assert f"{SECRET} (phil)" in page and f"{SECRET} (dana)" in page
