from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from reviews import services
from reviews.forms_prescriber import initial_from_facts
from reviews.models import Case, Status
from tests.conftest import client_for
from tests.factories import days_ago, make_case

from .conftest import blank, request_post


def answer_post(case: Case, **changes: str) -> dict[str, str]:
    """The answer form as the page fills it in (the facts on file), with changes."""
    data = {name: str(value) for name, value in initial_from_facts(case.facts).items()}
    return {"note": "", **data, **changes}


def pended_case(riverside: User, pharmacist: User) -> Case:
    facts = make_case(riverside, submit=False).facts
    del facts["hiv_status"]
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    return services.case_pend(
        actor=pharmacist, case=case, items=["HIV serology result"], message="Please send it."
    )


def test_it_runs_submit_pend_answer_through_the_pages(riverside: User, pharmacist: User) -> None:
    client = client_for(riverside)
    patient_id = client.post(
        reverse("prescriber:patient_create"),
        {
            "member_id": "FEP-4242",
            "first_name": "Jo",
            "last_name": "Doe",
            "date_of_birth": "1980-01-01",
            "sex_assigned_at_birth": "male",
        },
    )["Location"].rsplit("=", 1)[1]
    client.post(
        reverse("prescriber:case_create"),
        {
            **blank(request_post(int(patient_id), action="submit"), "hiv_status"),
            "confirm_incomplete": "yes",
        },
    )
    case = Case.objects.get(member_id="FEP-4242")
    assert (case.status, case.recommendation) == (Status.SUBMITTED, "pend")
    assert case.checklist["missing"] == ["excl_hiv"]

    services.case_claim(actor=pharmacist, case=case)
    services.case_pend(
        actor=pharmacist, case=case, items=["HIV serology result"], message="Send the HIV test."
    )

    detail = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    assert "HIV serology result" in detail and "Send the HIV test." in detail
    page = client.get(reverse("prescriber:case_answer", args=[case.pk]))
    assert "HIV serology result" in page.content.decode()
    case.refresh_from_db()
    attached = client.post(
        reverse("prescriber:document_upload", args=[case.pk]),
        {
            "kind": "lab_report",
            "supports": ["excl_hiv"],
            "file": SimpleUploadedFile("hiv.pdf", b"%PDF-1.7\n%%EOF\n"),
        },
    )
    assert attached["Location"] == reverse("prescriber:case_answer", args=[case.pk]) + "#documents"

    response = client.post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, hiv_status="negative", note="HIV-1/2 Ag/Ab negative, report attached"),
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert case.assigned_to == pharmacist
    assert (case.recommendation, case.checklist["missing"]) == ("approve", [])
    assert case.facts["hiv_status"] == "negative"
    rfi = case.rfis.get()
    assert rfi.answered_by == riverside
    assert rfi.answer_note == "HIV-1/2 Ag/Ab negative, report attached"
    event = case.events.get(action="answer_rfi")
    assert event.detail["changed_facts"] == ["hiv_status"]
    assert case.documents.get().supports == ["excl_hiv"]
    page = client.get(reverse("prescriber:case_detail", args=[case.pk]))
    assert page.context["checklist"]["recommendation"] == "approve"
    assert reverse("document_download", args=[case.documents.get().pk]) in page.content.decode()


def test_it_needs_new_facts_or_a_note(riverside: User, pharmacist: User) -> None:
    case = pended_case(riverside, pharmacist)
    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]), answer_post(case)
    )
    assert "Give the requested information" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.PENDED


def test_it_changes_nothing_on_a_bad_answer(riverside: User, pharmacist: User) -> None:
    case = pended_case(riverside, pharmacist)
    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, hiv_status="negative", inhibitor_test_date=days_ago(-2)),
    )
    assert "inhibitor_test_date" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == Status.PENDED
    assert "hiv_status" not in case.facts


def test_it_sends_an_answer_only_while_pended(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    client = client_for(riverside)
    url = reverse("prescriber:case_answer", args=[case.pk])
    assert client.get(url)["Location"] == reverse("prescriber:case_detail", args=[case.pk])
    client.post(url, answer_post(case, hiv_status="positive_uncontrolled", note="x"))
    case.refresh_from_db()
    assert case.facts["hiv_status"] == "negative"


def test_it_previews_the_checklist_with_the_answer(riverside: User, pharmacist: User) -> None:
    case = pended_case(riverside, pharmacist)
    response = client_for(riverside).post(
        reverse("prescriber:case_preview", args=[case.pk]),
        answer_post(case, hiv_status="positive_uncontrolled"),
    )
    assert response.context["checklist"]["failing"] == ["excl_hiv"]
    case.refresh_from_db()
    assert "hiv_status" not in case.facts


def test_it_closes_an_unanswered_request_when_the_case_is_withdrawn_or_denied(
    riverside: User, director: User
) -> None:
    """A request for information can be answered only while its case is pended: one left
    unanswered at a withdrawal or a denial is no longer "needed" or "open" on either side."""
    withdrawn = pended_case(riverside, director)
    services.case_withdraw(actor=riverside, case=withdrawn, reason="Not going ahead.")
    denied = pended_case(riverside, director)
    services.case_deny(
        actor=director,
        case=denied,
        failed_criteria=["excl_hiv"],
        reason="We did not receive the HIV serology result.",
        basis="information_not_provided",
    )
    for case in (withdrawn, denied):
        clinic = client_for(riverside).get(reverse("prescriber:case_detail", args=[case.pk]))
        html = clinic.content.decode()
        assert 'data-testid="open-rfi"' not in html
        assert "The reviewer needs more information" not in html
        assert "Not answered yet." not in html
        assert "Not answered; the request was closed first." in html
        payer = client_for(director).get(reverse("reviewer:case", args=[case.pk])).content.decode()
        assert 'text-bg-warning">Open' not in payer
        assert "Not answered" in payer

    # While pended, both sides still show it open.
    open_case = pended_case(riverside, director)
    page = client_for(riverside).get(reverse("prescriber:case_detail", args=[open_case.pk]))
    assert 'data-testid="open-rfi"' in page.content.decode()
    assert "Not answered yet." in page.content.decode()
    payer = client_for(director).get(reverse("reviewer:case", args=[open_case.pk])).content.decode()
    assert 'text-bg-warning">Open' in payer
