import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, Status
from tests.conftest import client_for
from tests.factories import make_case, make_patient

from .conftest import request_post

# Every prescriber URL about one case, with the method that reaches it.
CASE_URLS = [
    ("get", "prescriber:case_detail"),
    ("get", "prescriber:case_edit"),
    ("post", "prescriber:case_edit"),
    ("post", "prescriber:case_preview"),
    ("post", "prescriber:case_submit"),
    ("post", "prescriber:document_upload"),
    ("get", "prescriber:case_answer"),
    ("post", "prescriber:case_answer"),
    ("get", "prescriber:case_withdraw"),
    ("post", "prescriber:case_withdraw"),
    ("get", "prescriber:letter_status"),
    ("get", "letter_download"),
]


@pytest.mark.parametrize(("method", "name"), CASE_URLS)
def test_it_hides_another_clinics_case_on_every_url(
    riverside: User, lakeside: User, method: str, name: str
) -> None:
    case = make_case(riverside, submit=False)
    client = client_for(lakeside)
    response = getattr(client, method)(reverse(name, args=[case.pk]), request_post())
    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.facts["hiv_status"]) == (Status.DRAFT, "negative")
    assert not case.documents.exists()


@pytest.mark.parametrize(
    "name",
    ["prescriber:case_list", "prescriber:patient_list", "prescriber:case_create"],
)
def test_it_refuses_payer_staff_on_clinic_pages(pharmacist: User, auditor: User, name: str) -> None:
    for user in (pharmacist, auditor):
        assert client_for(user).get(reverse(name)).status_code == 403


def test_it_lists_only_the_clinics_own_cases(riverside: User, lakeside: User) -> None:
    mine = make_case(riverside)
    theirs = make_case(lakeside)
    response = client_for(riverside).get(reverse("prescriber:case_list"))
    html = response.content.decode()
    assert mine.reference in html
    assert theirs.reference not in html
    assert "Submitted" in html


def test_it_filters_the_list_by_tab(riverside: User) -> None:
    draft = make_case(riverside, submit=False)
    submitted = make_case(riverside)
    client = client_for(riverside)
    open_refs = [c.reference for c in client.get(reverse("prescriber:case_list")).context["page"]]
    drafts = client.get(reverse("prescriber:case_list"), {"show": "drafts"}).context["page"]
    assert open_refs == [submitted.reference]
    assert [c.reference for c in drafts] == [draft.reference]


def test_it_lists_only_the_clinics_own_patients(riverside: User, lakeside: User) -> None:
    make_patient(riverside, member_id="RIV-1")
    make_patient(lakeside, member_id="LAK-1")
    html = client_for(riverside).get(reverse("prescriber:patient_list")).content.decode()
    assert "RIV-1" in html
    assert "LAK-1" not in html


def test_it_refuses_another_clinics_patient_for_a_new_request(
    riverside: User, lakeside: User
) -> None:
    theirs = make_patient(lakeside)
    client = client_for(riverside)
    response = client.post(reverse("prescriber:case_create"), request_post(theirs.pk))
    assert "patient" in response.context["form"].errors
    assert not Case.objects.exists()
    preview = client.post(reverse("prescriber:preview"), request_post(theirs.pk))
    # The preview ignores a patient the clinic does not have: age and sex stay unknown.
    assert {"age", "sex"} <= set(preview.context["checklist"]["missing"])


def test_it_audits_each_view_of_a_case_page(riverside: User) -> None:
    case = make_case(riverside)
    client = client_for(riverside)
    client.get(reverse("prescriber:case_detail", args=[case.pk]))
    client.get(reverse("prescriber:case_detail", args=[case.pk]))
    rows = AuditLog.objects.filter(action="case.view", case=case)
    assert rows.count() == 2
    assert rows.first().actor == riverside  # type: ignore[union-attr]


def test_it_shows_the_history_and_stored_checklist(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    response = client_for(riverside).get(reverse("prescriber:case_detail", args=[case.pk]))
    html = response.content.decode()
    assert response.context["checklist"] == case.checklist
    assert "Draft created" in html and "Submitted" in html and "Taken for review" in html
    assert case.policy_id in html
    assert "Edit draft" not in html


def test_it_shows_a_drafts_unknown_items_before_submission(riverside: User) -> None:
    case = make_case(riverside, facts={"diagnosis_code": "D67"}, submit=False)
    response = client_for(riverside).get(reverse("prescriber:case_detail", args=[case.pk]))
    checklist = response.context["checklist"]
    assert "fix_activity" in checklist["missing"]
    assert "diagnosis" not in checklist["missing"]
    case.refresh_from_db()
    assert case.checklist == {}  # shown, not stored
    assert "Edit draft" in response.content.decode()


def test_it_submits_a_draft_from_its_page(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    client_for(riverside).post(reverse("prescriber:case_submit", args=[case.pk]))
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_it_shows_why_a_second_submit_is_refused(riverside: User) -> None:
    case = make_case(riverside)
    response = client_for(riverside).post(
        reverse("prescriber:case_submit", args=[case.pk]), follow=True
    )
    assert "cannot be submitted" in response.content.decode()


def test_it_withdraws_after_confirmation(riverside: User) -> None:
    case = make_case(riverside)
    client = client_for(riverside)
    url = reverse("prescriber:case_withdraw", args=[case.pk])
    assert "Yes, withdraw" in client.get(url).content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED  # the confirmation page changes nothing
    client.post(url, {"reason": "Patient moved to another plan"})
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert case.events.get(action="withdraw").reason == "Patient moved to another plan"


def test_it_refuses_to_withdraw_a_decided_case(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)
    response = client_for(riverside).post(
        reverse("prescriber:case_withdraw", args=[case.pk]), follow=True
    )
    assert "already decided" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.APPROVED
