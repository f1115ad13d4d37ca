import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from pas import codes
from reviews import selectors
from reviews.members import member_key
from reviews.models import Case, Patient, Status
from tests.conftest import client_for
from tests.factories import make_patient
from tests.fhir.support import (
    add_form,
    claim_response,
    entry_index,
    example,
    outcome_issues,
    planned_infusion,
    post,
    resources,
    review_action,
    token_client,
)

pytestmark = pytest.mark.django_db


def test_it_answers_a_submission_with_a_pended_claim_response(riverside: User) -> None:
    response = post(client_for(riverside), "submit", example("approve"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    answer = claim_response(response)
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED
    assert case.recommendation == "approve"
    assert answer["outcome"] == "complete"
    assert answer["use"] == "preauthorization"
    assert answer["preAuthRef"] == case.reference
    assert review_action(answer) == codes.PENDED
    assert "preAuthPeriod" not in answer
    assert "14 met, 0 not met, 0 missing information" in answer["disposition"]
    assert answer["request"]["identifier"]["value"] == "RHA-2026-0001"
    assert resources(response, "Organization")[0]["identifier"][0]["value"] == "1456789019"


def test_it_maps_observations_onto_the_facts_the_portal_collects(riverside: User) -> None:
    post(client_for(riverside), "submit", example("approve"))
    case = Case.objects.get()
    patient = case.patient
    assert (patient.member_id, patient.first_name, patient.last_name) == (
        "HGX-MEM-1001",
        "Sam",
        "Example",
    )
    assert patient.date_of_birth == date(1985, 6, 15)
    assert patient.sex_assigned_at_birth == "male"
    assert case.facts == {
        "diagnosis_code": "D67",
        "prescriber_specialty": "hematology",
        "fix_activity_value": "1.0",
        "fix_activity_unit": "%",
        "fix_activity_date": "2026-09-01",
        "labs": [
            {"code": "ALT", "value": "22", "unit": "U/L", "date": "2026-09-10"},
            {"code": "AST", "value": "25", "unit": "U/L", "date": "2026-09-10"},
            {"code": "ALP", "value": "80", "unit": "U/L", "date": "2026-09-10"},
            {"code": "TBILI", "value": "0.6", "unit": "mg/dL", "date": "2026-09-10"},
        ],
        "imaging": [
            {"kind": "hepatic_ultrasound", "findings": "Normal liver", "date": "2026-09-15"},
            {"kind": "elastography", "findings": "5.1 kPa, F0-F1", "date": "2026-09-15"},
        ],
        "on_fix_prophylaxis": True,
        "prophylaxis_product": "Alprolix (eftrenonacog alfa)",
        "life_threatening_hemorrhage": True,
        "repeated_serious_spontaneous_bleeding": False,
        "fix_inhibitor_history": False,
        "inhibitor_titer_bu": "0.2",
        "inhibitor_assay": "nijmegen-bethesda",
        "inhibitor_test_date": "2026-09-10",
        "hiv_status": "negative",
        "hepatitis_b_active": False,
        "hepatitis_c_active": False,
        "prior_hemophilia_b_gene_therapy": False,
        "other_gene_therapy_under_consideration": False,
    }
    assert (case.prescriber_name, case.prescriber_npi) == ("Dr. Hema Tologist", "1234567893")
    assert case.body_weight_kg == Decimal("80.0")
    assert case.planned_infusion_date == date.fromisoformat(planned_infusion())
    assert case.urgency == "standard"


def test_it_reads_facts_from_the_questionnaire_response(riverside: User) -> None:
    response = post(client_for(riverside), "submit", example("deny"))
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert case.facts["hiv_status"] == "positive_uncontrolled"
    assert case.facts["fix_activity_unit"] == "IU/mL"
    assert [lab["code"] for lab in case.facts["labs"]] == ["ALT", "AST", "ALP", "TBILI"]
    assert case.facts["imaging"][1] == {"kind": "elastography", "date": "2026-09-05"}
    assert case.body_weight_kg == Decimal("72.5")
    assert case.recommendation == "deny"
    assert case.checklist["failing"] == ["excl_hiv"]
    assert review_action(claim_response(response)) == codes.PENDED


def test_it_lists_the_missing_information_when_pended(riverside: User) -> None:
    response = post(client_for(riverside), "submit", example("pend"))
    answer = claim_response(response)
    case = Case.objects.get()
    asks = case.checklist["requests_for_information"]
    assert case.recommendation == "pend" and len(asks) >= 5
    assert [note["text"] for note in answer["processNote"]] == asks
    assert answer["item"][0]["noteNumber"] == list(range(1, len(asks) + 1))
    requests = resources(response, "CommunicationRequest")
    assert [r["payload"] for r in requests] == [
        [{"contentString": code}] for code in dict.fromkeys(
            code for ask in asks for code in codes.attachment_codes(ask)
        )
    ]  # fmt: skip
    asked = [note["text"] for r in requests for note in r["note"][:-1]]
    assert set(asked) == set(asks)
    assert [r["identifier"][0]["value"] for r in requests] == [
        f"{case.reference}-{n}" for n in range(1, len(requests) + 1)
    ]


def test_it_answers_with_an_identified_bundle_echoing_the_request(riverside: User) -> None:
    response = post(client_for(riverside), "submit", example("approve"))
    bundle = json.loads(response.content)
    assert bundle["identifier"] == {"system": codes.RESPONSE_BUNDLE_SYSTEM, "value": bundle["id"]}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    answer = claim_response(response)
    trace = {
        "system": "http://riverside-hematology.example.org/PATIENT_EVENT_TRACE_NUMBER",
        "value": "RHA-2026-0001",
    }
    assert answer["identifier"][0] == trace
    assert answer["request"] == {"type": "Claim", "identifier": trace}
    [patient] = resources(response, "Patient")
    sent = example("approve")["entry"][entry_index(example("approve"), "Patient")]["resource"]
    assert patient["identifier"] == sent["identifier"] and patient["gender"] == "male"
    assert (patient["name"], patient["birthDate"]) == (sent["name"], sent["birthDate"])
    assert patient["extension"] == sent["extension"]


def test_it_completes_a_sent_patient_that_lacks_what_us_core_needs(riverside: User) -> None:
    body = example("approve")
    patient = body["entry"][entry_index(body, "Patient")]["resource"]
    del patient["gender"], patient["identifier"][0]["system"]
    [echoed] = resources(post(client_for(riverside), "submit", body), "Patient")
    assert echoed["gender"] == "unknown"
    assert echoed["identifier"] == [{
        "type": {"coding": [{"system": codes.MEMBER_ID_TYPE[0], "code": "MB"}]},
        "system": codes.MEMBER_ID_SYSTEM,
        "value": "HGX-MEM-1001",
    }]  # fmt: skip


def test_it_returns_the_same_case_for_a_resubmitted_bundle(riverside: User) -> None:
    client = client_for(riverside)
    first = claim_response(post(client, "submit", example("approve")))
    again = post(client, "submit", example("approve"))
    assert again.status_code == 200
    assert claim_response(again)["preAuthRef"] == first["preAuthRef"]
    assert Case.objects.count() == 1 and Patient.objects.count() == 1
    rows = AuditLog.objects.filter(action__startswith="intake.").order_by("id")
    assert [(row.action, row.detail["door"]) for row in rows] == [
        ("intake.filed", "fhir"),
        ("intake.replayed", "fhir"),
    ]


def test_it_matches_a_known_patient_by_member_id(riverside: User) -> None:
    known = make_patient(riverside, member_id="HGX-MEM-1001", date_of_birth=date(1985, 6, 15))
    post(client_for(riverside), "submit", example("approve"))
    assert Case.objects.get().patient == known
    assert Patient.objects.count() == 1


def test_it_refuses_a_known_member_with_another_birth_date(riverside: User) -> None:
    make_patient(riverside, member_id="HGX-MEM-1001", date_of_birth=date(1990, 1, 1))
    response = post(client_for(riverside), "submit", example("approve"))
    assert response.status_code == 422
    assert "different date of birth" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists()


def test_it_accepts_the_ehr_token(riverside: User) -> None:
    response = post(token_client(riverside), "submit", example("pend"))
    assert response.status_code == 200, response.content
    assert Case.objects.get().created_by == riverside


def test_it_marks_a_stat_claim_expedited_with_the_forms_reason(riverside: User) -> None:
    body = example("deny")
    body["entry"][0]["resource"]["priority"]["coding"][0]["code"] = "stat"
    reason = "Intracranial bleed on prophylaxis last month"
    add_form(body, {("request", "expedite_reason"): {"valueString": reason}})
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert (case.urgency, case.expedite_reason) == ("expedited", reason)


def test_it_refuses_a_stat_claim_without_a_reason(riverside: User) -> None:
    body = example("pend")
    body["entry"][0]["resource"]["priority"]["coding"][0]["code"] = "stat"
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422
    assert "expedited request needs the reason" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_takes_the_latest_of_two_results_for_one_fact(riverside: User) -> None:
    body = example("approve")
    fix = body["entry"][entry_index(body, "Observation", codes.LOINC_FIX_PERCENT)]
    older = {**fix["resource"], "effectiveDateTime": "2025-01-01", "valueQuantity": {
        "value": 9, "unit": "%", "system": codes.UCUM, "code": "%"}}  # fmt: skip
    body["entry"].append({"fullUrl": "urn:uuid:0b0b0b0b-0000-4000-8000-000000000001",
                          "resource": older})  # fmt: skip
    post(client_for(riverside), "submit", body)
    facts = Case.objects.get().facts
    assert (facts["fix_activity_value"], facts["fix_activity_date"]) == ("1.0", "2026-09-01")


def test_it_puts_the_case_in_the_reviewer_queue(riverside: User, pharmacist: User) -> None:
    answer = claim_response(post(client_for(riverside), "submit", example("approve")))
    queue = selectors.cases_visible_to(pharmacist)
    assert queue.filter(reference=answer["preAuthRef"], status=Status.SUBMITTED).exists()
    events = Case.objects.get().events.values_list("action", flat=True)
    assert list(events) == ["created", "submit"]
    audited = AuditLog.objects.filter(case__reference=answer["preAuthRef"])
    assert {"case.created", "case.submit", "intake.filed"} <= set(
        audited.values_list("action", flat=True)
    )


def test_it_accepts_the_same_fact_from_the_form_and_an_observation(riverside: User) -> None:
    body = example("approve")
    add_form(body, {
        ("infections", "hiv_status"): {"valueCoding": {"code": "negative"}},
        ("request", "body_weight_kg"): {"valueInteger": 80},
    })  # fmt: skip
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert (case.facts["hiv_status"], case.body_weight_kg) == ("negative", Decimal("80.0"))


def test_it_takes_plain_json_too(riverside: User) -> None:
    response = post(client_for(riverside), "submit", example("pend"), "application/json")
    assert response.status_code == 200, response.content
    assert Case.objects.count() == 1


def test_the_reviewer_queue_page_lists_the_submitted_case(
    riverside: User, pharmacist: User
) -> None:
    answer = claim_response(post(client_for(riverside), "submit", example("approve")))
    page = client_for(pharmacist).get(reverse("reviewer:queue"))
    assert page.status_code == 200
    assert f'data-reference="{answer["preAuthRef"]}"' in page.content.decode()


def test_it_keeps_apart_two_claim_identifiers_that_differ_in_where_the_bar_falls(
    riverside: User,
) -> None:
    """Claim.identifier (system "urn:sys|A", value "1") and (system "urn:sys", value "A|1") are
    two identifiers: the second is not a replay of the first (nor answered with its case)."""
    client = client_for(riverside)
    answered = []
    for system, value in (("urn:sys|A", "1"), ("urn:sys", "A|1")):
        body = example("approve")
        body["entry"][0]["resource"]["identifier"][0] = {"system": system, "value": value}
        response = post(client, "submit", body)
        assert response.status_code < 500, response.content
        if response.status_code == 200:
            answered.append(claim_response(response)["preAuthRef"])
    assert len(set(answered)) == len(answered) == Case.objects.count()


RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"


def _member(body: dict, *, own: str | None, subscriber: str, relationship: str | None) -> dict:
    """The example with its Patient's MB identifier (None: none), Coverage.subscriberId and
    Coverage.relationship set."""
    patient = body["entry"][entry_index(body, "Patient")]["resource"]
    coverage = body["entry"][entry_index(body, "Coverage")]["resource"]
    patient["identifier"] = [] if own is None else [{**patient["identifier"][0], "value": own}]
    coverage["subscriberId"] = subscriber
    if relationship is not None:
        coverage["relationship"] = {"coding": [{"system": RELATIONSHIP, "code": relationship}]}
    return body


def test_it_files_a_dependent_under_the_patients_own_member_id(riverside: User) -> None:
    # Two brothers on their mother's plan: hemophilia B runs in families, and filed under the
    # subscriber's ID they would be one member to the one-infusion limit.
    client = client_for(riverside)
    for own, claim in (("HGX-SON-0001", "RHA-SON-1"), ("HGX-SON-0002", "RHA-SON-2")):
        body = _member(example("approve"), own=own, subscriber="HGX-MOM-0001", relationship="child")
        body["entry"][0]["resource"]["identifier"][0]["value"] = claim
        assert post(client, "submit", body).status_code == 200
    cases = Case.objects.order_by("pk")
    assert [case.member_id for case in cases] == ["HGX-SON-0001", "HGX-SON-0002"]
    assert len({case.member_key for case in cases}) == 2


def test_it_refuses_a_dependent_without_a_member_id_of_their_own(riverside: User) -> None:
    body = _member(example("approve"), own=None, subscriber="HGX-MOM-0001", relationship="spouse")
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422
    assert "not the subscriber" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()


@pytest.mark.parametrize("relationship", [None, "self"])
def test_it_refuses_a_subscriber_whose_two_member_ids_differ(
    riverside: User, relationship: str | None
) -> None:
    body = _member(
        example("approve"), own="HGX-MEM-1001", subscriber="HGX-MEM-2002", relationship=relationship
    )
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422
    assert "HGX-MEM-2002" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_takes_the_same_member_spelled_twice_for_the_subscriber(riverside: User) -> None:
    body = _member(
        example("approve"), own="hgx mem 1001", subscriber="HGX-MEM-1001", relationship="self"
    )
    assert post(client_for(riverside), "submit", body).status_code == 200
    assert Case.objects.get().member_key == member_key("HGX-MEM-1001")


@pytest.mark.parametrize("field", ["family", "given"])
def test_it_refuses_a_patient_name_longer_than_the_api_takes(riverside: User, field: str) -> None:
    # Cut short, as this door once did, a long name could match another patient's.
    body = example("approve")
    name = body["entry"][entry_index(body, "Patient")]["resource"]["name"][0]
    name[field] = "A" * 101 if field == "family" else ["A" * 101]
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422
    assert "at most 100" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_refuses_a_prescriber_name_longer_than_the_api_takes(riverside: User) -> None:
    body = example("approve")
    practitioner = body["entry"][entry_index(body, "Practitioner")]["resource"]
    practitioner["name"] = [{"text": "Dr " + "A" * 200}]
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422
    assert "at most 200" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists()


def test_it_takes_names_as_long_as_the_api_takes(riverside: User) -> None:
    body = example("approve")
    body["entry"][entry_index(body, "Patient")]["resource"]["name"][0]["family"] = "B" * 100
    assert post(client_for(riverside), "submit", body).status_code == 200
    assert Case.objects.get().patient.last_name == "B" * 100
