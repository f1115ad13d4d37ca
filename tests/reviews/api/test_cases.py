from datetime import date

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Authorization, Case, Patient, Status
from tests.factories import approvable_facts, days_ago, make_case, make_patient

from .conftest import api_for, new_request

CASES = "/api/cases/"


def test_it_creates_and_submits_a_request_for_a_new_patient(riverside: User) -> None:
    response = api_for(riverside).post(CASES, new_request(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get()
    assert response["Location"] == reverse("api:case_detail", args=[case.pk])
    assert (body["id"], body["reference"], body["status"]) == (case.pk, case.reference, "submitted")
    assert body["checklist"]["policy_id"] == body["policy_id"] == "fep-hemgenix-2024-01"
    assert body["checklist"]["recommendation"] == "approve"
    assert body["checklist_is_preview"] is False
    assert case.facts == approvable_facts()
    patient = Patient.objects.get()
    assert (patient.organization, patient.sex_assigned_at_birth, patient.gender_identity) == (
        riverside.organization,
        "male",
        "man",
    )
    assert str(case.body_weight_kg) == "81.2"


def test_it_reuses_the_clinics_patient_by_member_id(riverside: User) -> None:
    client = api_for(riverside)
    client.post(CASES, new_request(), format="json")
    again = new_request(patient={"member_id": "FEP-1001"})
    response = client.post(CASES, again, format="json")
    assert response.status_code == 201, response.json()
    assert Patient.objects.count() == 1
    assert Case.objects.filter(patient__member_id="FEP-1001").count() == 2


def test_it_keeps_a_draft_and_shows_its_checklist_before_submission(riverside: User) -> None:
    facts = approvable_facts()
    del facts["hiv_status"]
    client = api_for(riverside)
    body = client.post(CASES, new_request(facts=facts, submit=False), format="json").json()
    assert body["status"] == "draft"
    assert body["checklist_is_preview"] is True
    assert body["checklist"]["missing"] == ["excl_hiv"]
    assert Case.objects.get().checklist == {}
    submitted = client.post(f"{CASES}{body['id']}/submit/").json()
    assert submitted["status"] == "submitted"
    assert Case.objects.get().checklist["missing"] == ["excl_hiv"]


def test_it_answers_facts_errors_field_by_field_and_creates_nothing(riverside: User) -> None:
    facts = {
        "labs": [{"code": "ALT", "value": "lots", "unit": "U/L"}],
        "hiv_status": "maybe",
        "fix_activity_date": days_ago(-5),
    }
    response = api_for(riverside).post(CASES, new_request(facts=facts), format="json")
    assert response.status_code == 400
    errors = response.json()["facts"]
    assert set(errors) == {"labs[0].value", "hiv_status", "fix_activity_date"}
    assert errors["labs[0].value"] == ["must be a number; got 'lots'"]
    assert not Case.objects.exists()
    assert not Patient.objects.exists()


def test_it_checks_facts_against_the_patients_date_of_birth(riverside: User) -> None:
    facts = {**approvable_facts(), "inhibitor_test_date": "1980-01-01"}
    response = api_for(riverside).post(CASES, new_request(facts=facts), format="json")
    assert response.status_code == 400
    assert response.json()["facts"]["inhibitor_test_date"] == [
        "1980-01-01 is before the date of birth 1985-06-15"
    ]
    assert not Patient.objects.exists()


def test_it_refuses_facts_the_portal_supplies(riverside: User) -> None:
    facts = {**approvable_facts(), "date_of_birth": "1950-01-01", "active_approvals_on_file": 0}
    response = api_for(riverside).post(CASES, new_request(facts=facts), format="json")
    assert response.status_code == 400
    assert set(response.json()["facts"]) == {"date_of_birth", "active_approvals_on_file"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"prescriber_npi": "1234567890"}, "prescriber_npi"),
        ({"urgency": "expedited"}, "expedite_reason"),
        ({"urgency": "expedited", "expedite_reason": "\u200b\u202e"}, "expedite_reason"),
        ({"urgency": "whenever"}, "urgency"),
        ({"planned_infusion_date": days_ago(3)}, "planned_infusion_date"),
        ({"planned_infusion_date": "9999-12-31"}, "planned_infusion_date"),
        ({"body_weight_kg": "-3"}, "body_weight_kg"),
        ({"facts": ["not", "an", "object"]}, "facts"),
    ],
)
def test_it_refuses_bad_request_fields(riverside: User, changes: dict, field: str) -> None:
    response = api_for(riverside).post(CASES, new_request(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()


def test_it_refuses_a_new_patients_name_that_shows_nothing(riverside: User) -> None:
    patient = {**new_request()["patient"], "member_id": "NEW-2", "last_name": "\u3164\u200b"}
    response = api_for(riverside).post(CASES, new_request(patient=patient), format="json")
    assert response.status_code == 400
    assert set(response.json()["patient"]) == {"last_name"}
    assert not Patient.objects.exists()


def test_it_needs_a_new_patients_details(riverside: User) -> None:
    body = new_request(patient={"member_id": "NEW-1", "first_name": "Jo"})
    response = api_for(riverside).post(CASES, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["patient"]) == {
        "last_name",
        "date_of_birth",
        "sex_assigned_at_birth",
    }
    assert not Patient.objects.exists()


def test_it_refuses_a_patient_that_disagrees_with_the_clinics_record(riverside: User) -> None:
    make_patient(riverside, member_id="FEP-1001", date_of_birth=date(1970, 1, 1))
    response = api_for(riverside).post(CASES, new_request(), format="json")
    assert response.status_code == 400
    assert list(response.json()["patient"]) == ["date_of_birth"]
    assert not Case.objects.exists()


def test_it_lists_only_the_clinics_cases(riverside: User, lakeside: User) -> None:
    mine = make_case(riverside)
    draft = make_case(riverside, submit=False)
    make_case(lakeside)
    client = api_for(riverside)
    body = client.get(CASES).json()
    assert body["count"] == 2
    assert {row["reference"] for row in body["results"]} == {mine.reference, draft.reference}
    drafts = client.get(CASES, {"status": "draft"}).json()["results"]
    assert [row["id"] for row in drafts] == [draft.pk]


@pytest.mark.parametrize("wanted", ["bogus", "", "Draft", "draft ", "x" * 10_000, "\uff44raft"])
def test_it_refuses_a_status_filter_that_is_no_status(riverside: User, wanted: str) -> None:
    # Answered with an empty list, a typo read as "the clinic has no such cases".
    make_case(riverside)
    response = api_for(riverside).get(CASES, {"status": wanted})
    assert response.status_code == 400
    assert "status" in response.json()


def test_it_reads_a_case_and_audits_the_view(riverside: User) -> None:
    case = make_case(riverside)
    body = api_for(riverside).get(f"{CASES}{case.pk}/").json()
    assert (body["status"], body["recommendation"]) == ("submitted", "approve")
    assert body["patient"]["member_id"] == case.member_id
    row = AuditLog.objects.get(action="case.view", case=case)
    assert (row.actor, row.detail) == (riverside, {"via": "api"})


def test_it_runs_submit_pend_answer_through_the_api(riverside: User, pharmacist: User) -> None:
    facts = approvable_facts()
    del facts["hiv_status"]
    client = api_for(riverside)
    created = client.post(CASES, new_request(facts=facts), format="json").json()
    assert (created["status"], created["recommendation"]) == ("submitted", "pend")
    case = Case.objects.get(pk=created["id"])
    services.case_claim(actor=pharmacist, case=case)
    services.case_pend(actor=pharmacist, case=case, items=["HIV status"], message="Send HIV.")

    pended = client.get(f"{CASES}{case.pk}/").json()
    assert pended["status"] == "pended"
    [rfi] = pended["requests_for_information"]
    assert (rfi["items"], rfi["message"], rfi["answered_at"]) == (["HIV status"], "Send HIV.", None)

    bad = client.post(
        f"{CASES}{case.pk}/answer/", {"facts": {"hiv_status": "unsure"}}, format="json"
    )
    assert bad.status_code == 400
    assert "hiv_status" in bad.json()["facts"]
    assert Case.objects.get(pk=case.pk).status == Status.PENDED

    answered = client.post(
        f"{CASES}{case.pk}/answer/",
        {"facts": {"hiv_status": "negative"}, "note": "Negative on 4th-gen assay"},
        format="json",
    )
    assert answered.status_code == 200, answered.json()
    body = answered.json()
    assert (body["status"], body["recommendation"]) == ("in_review", "approve")
    assert body["checklist"]["missing"] == []
    assert body["requests_for_information"][0]["answer_note"] == "Negative on 4th-gen assay"
    case.refresh_from_db()
    assert case.facts["hiv_status"] == "negative"
    assert case.assigned_to == pharmacist

    again = client.post(f"{CASES}{case.pk}/answer/", {"note": "again"}, format="json")
    assert again.status_code == 409


def test_it_attaches_a_document_through_the_api(riverside: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(riverside, submit=False)
    client = api_for(riverside)
    url = f"{CASES}{case.pk}/documents/"
    pdf = SimpleUploadedFile("echo.pdf", b"%PDF-1.5\n%%EOF\n")
    response = client.post(
        url, {"kind": "imaging_report", "supports": ["liver_assessment"], "file": pdf}
    )
    assert response.status_code == 201, response.json()
    [document] = response.json()["documents"]
    assert (document["original_name"], document["supports"]) == ("echo.pdf", ["liver_assessment"])
    fake = SimpleUploadedFile("echo.pdf", b"<html>hello</html>")
    refused = client.post(url, {"kind": "imaging_report", "file": fake})
    assert refused.status_code == 400
    assert "Only PDF, PNG and JPEG" in refused.json()["file"][0]
    assert case.documents.count() == 1


def test_it_withdraws_through_the_api(riverside: User) -> None:
    case = make_case(riverside)
    client = api_for(riverside)
    body = client.post(f"{CASES}{case.pk}/withdraw/", {"reason": "Duplicate"}, format="json")
    assert body.json()["status"] == "withdrawn"
    assert client.post(f"{CASES}{case.pk}/withdraw/", {}, format="json").status_code == 409


def test_it_gives_the_authorization_an_approval_issued_through_the_api(
    riverside: User, director: User
) -> None:
    """What the clinic's page shows of the authorization (number, validity, what it authorizes)
    the API gives too: an integration bills the infusion under that number."""
    case = make_case(riverside, claim_by=director)
    services.case_approve(actor=director, case=case)
    auth = Authorization.objects.get(case=case)

    given = api_for(riverside).get(f"{CASES}{case.pk}/").json()["decision"]["authorization"]

    assert given["number"] == auth.number and given["state"] == "active"
    assert given["valid_from"] == auth.valid_from.isoformat()
    assert given["valid_to"] == auth.valid_to.isoformat()
    assert given["hcpcs_code"] == "J1411" and given["units"] == 1
    assert given["planned_infusion_date"] == str(auth.planned_infusion_date)
    assert given["body_weight_kg"] == str(auth.body_weight_kg)
    assert given["dose_volume_ml"] == str(auth.dose_volume_ml)
    assert given["vial_count"] == auth.vial_count
    denied = make_case(riverside, facts={**approvable_facts(), "fix_activity_value": "5"})
    services.case_claim(actor=director, case=denied)
    services.case_deny(actor=director, case=denied, failed_criteria=["fix_activity"], reason="x")
    body = api_for(riverside).get(f"{CASES}{denied.pk}/").json()
    assert body["decision"]["authorization"] is None
