import pytest

from accounts.models import User
from audit.models import AuditLog
from pas import codes
from reviews import services
from reviews.models import Authorization, Case
from tests.conftest import client_for
from tests.factories import days_ago, make_case
from tests.fhir.support import (
    answer_bundles,
    claim_response,
    example,
    inquiry,
    outcome_issues,
    post,
    resolve,
    resources,
    review_action,
    the_bundle,
)

pytestmark = pytest.mark.django_db


def submitted(clinic_user: User, name: str) -> Case:
    response = post(client_for(clinic_user), "submit", example(name))
    assert response.status_code == 200, response.content
    return Case.objects.get(reference=claim_response(response)["preAuthRef"])


def approved(riverside: User, pharmacist: User) -> Case:
    case = submitted(riverside, "approve")
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case, reason="Meets every criterion")
    return case


def test_it_answers_an_approval_with_a1_and_the_authorization_period(
    riverside: User, pharmacist: User
) -> None:
    case = approved(riverside, pharmacist)
    response = post(client_for(riverside), "inquire", inquiry(claim_identifier="RHA-2026-0001"))
    assert response.status_code == 200, response.content
    assert response.json()["resourceType"] == "Parameters"
    answer = claim_response(response)
    auth = Authorization.objects.get(case=case)
    period = {"start": auth.valid_from.isoformat(), "end": auth.valid_to.isoformat()}
    assert review_action(answer) == codes.CERTIFIED
    assert answer["preAuthRef"] == case.reference
    assert answer["preAuthPeriod"] == period
    assert answer["outcome"] == "complete"
    item = answer["item"][0]
    assert {"url": codes.EXT_ITEM_PREAUTH_PERIOD, "valuePeriod": period} in item["extension"]
    action = item["adjudication"][0]["extension"][0]["extension"]
    assert {"url": "number", "valueString": auth.number} in action
    assert codes.PAS_INQUIRY_RESPONSE_PROFILE in answer["meta"]["profile"]
    trace = "http://riverside-hematology.example.org/PATIENT_EVENT_TRACE_NUMBER"
    assert answer["identifier"][0] == {"system": trace, "value": "RHA-2026-0001"}
    assert answer["request"]["identifier"] == {"system": trace, "value": "RHA-2026-0001"}


def test_it_answers_a_denial_with_a3_an_hcr03_reason_and_the_plain_reason(
    riverside: User, pharmacist: User
) -> None:
    case = submitted(riverside, "deny")
    services.case_claim(actor=pharmacist, case=case)
    reason = "Uncontrolled HIV infection is an exclusion of the policy."
    services.case_deny(actor=pharmacist, case=case, failed_criteria=["excl_hiv"], reason=reason)
    body = inquiry(pre_auth_ref=case.reference, member_id=case.member_id)
    answer = claim_response(post(client_for(riverside), "inquire", body))
    assert review_action(answer) == codes.NOT_CERTIFIED
    assert "preAuthPeriod" not in answer
    assert answer["disposition"] == f"Not certified: {reason}"
    [note] = answer["processNote"]
    assert note["text"].startswith("Criterion not met (excl_hiv): Positive HIV serological test")
    action = answer["item"][0]["adjudication"][0]["extension"][0]["extension"]
    [reason_code] = [e["valueCodeableConcept"] for e in action if e["url"] == "reasonCode"]
    hcr03, criterion = reason_code["coding"]
    assert (hcr03["system"], hcr03["code"]) == (codes.X12_REASON_SYSTEM, "0V")
    assert (criterion["system"], criterion["code"]) == (codes.CRITERIA_SYSTEM, "excl_hiv")
    assert reason_code["text"].startswith("Positive HIV serological test")


def test_it_answers_a4_while_a_person_has_not_decided(riverside: User) -> None:
    case = submitted(riverside, "approve")
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    action = claim_response(response)["item"][0]["adjudication"][0]["extension"][0]
    assert action["extension"][0]["valueCodeableConcept"]["coding"][0] == {
        "system": codes.X12_ACTION_SYSTEM,
        "code": "A4",
        "display": "Pending",
    }


def test_it_asks_for_the_reviewers_questions_as_loinc_attachment_requests(
    riverside: User, pharmacist: User
) -> None:
    case = submitted(riverside, "pend")
    services.case_claim(actor=pharmacist, case=case)
    asked = ["Liver elastography report", "HIV serology"]
    services.case_pend(actor=pharmacist, case=case, items=asked, message="Need these two.")
    body = inquiry(claim_identifier="RHA-2026-0003", member_id=case.member_id)
    response = post(client_for(riverside), "inquire", body)
    answer = claim_response(response)
    assert review_action(answer) == codes.PENDED
    assert answer["disposition"].startswith("Pended: the reviewer asked for more information.")
    texts = [note["text"] for note in answer["processNote"]]
    assert texts[:2] == asked
    assert set(Case.objects.get().checklist["requests_for_information"]) <= set(texts)
    bundle = the_bundle(response)
    requests = [resolve(bundle, ref) for ref in answer["communicationRequest"]]
    assert requests == resources(response, "CommunicationRequest")
    by_code = {r["payload"][0]["contentString"]: r for r in requests}
    imaging, lab = by_code[codes.LOINC_IMAGING_STUDY], by_code[codes.LOINC_LAB_REPORT]
    assert "Liver elastography report" in [n["text"] for n in imaging["note"]]
    assert "HIV serology" in [n["text"] for n in lab["note"]]
    for request in requests:
        assert len(request["payload"]) == 1
        assert request["identifier"][0]["system"] == codes.INFORMATION_REQUEST_SYSTEM
        assert request["medium"][0]["coding"][0]["code"] == "EL"
        assert request["category"][0]["coding"][0]["system"] == codes.X12_REPORT_TYPE_SYSTEM
        assert resolve(bundle, request["requester"])["name"] == "Example Health Plan"
        assert request["about"][0]["reference"] == codes.QUESTIONNAIRE_URL


def test_it_finds_the_case_by_its_authorization_number(riverside: User, pharmacist: User) -> None:
    case = approved(riverside, pharmacist)
    number = Authorization.objects.get(case=case).number
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=number))
    assert claim_response(response)["preAuthRef"] == case.reference


@pytest.mark.parametrize("where", ["claim", "item"])
@pytest.mark.parametrize("extension", [codes.EXT_AUTHORIZATION_NUMBER, "administration"])
def test_it_finds_the_case_by_the_pas_number_extensions(
    riverside: User, pharmacist: User, where: str, extension: str
) -> None:
    case = approved(riverside, pharmacist)
    number = Authorization.objects.get(case=case).number
    if extension == "administration":
        extension, number = codes.EXT_ADMINISTRATION_REFERENCE, case.reference
    body = inquiry(claim_identifier="a new trace number of the inquiry")
    claim = body["entry"][0]["resource"]
    target = claim if where == "claim" else claim["item"][0]
    target.setdefault("extension", []).append({"url": extension, "valueString": number})
    assert claim_response(post(client_for(riverside), "inquire", body))["preAuthRef"] == (
        case.reference
    )


def test_it_answers_by_example_patient_provider_and_service(riverside: User) -> None:
    """No number at all: the patient, the clinic and J1411 find every request of that patient;
    the inquiry's own new trace number narrows nothing."""
    first = submitted(riverside, "approve")
    second_body = example("approve")
    second_body["entry"][0]["resource"]["identifier"][0]["value"] = "RHA-2026-0099"
    post(client_for(riverside), "submit", second_body)
    make_case(riverside)  # another member of the clinic
    body = inquiry(claim_identifier="INQ-7")
    bundles = answer_bundles(post(client_for(riverside), "inquire", body))
    references = [b["entry"][0]["resource"]["preAuthRef"] for b in bundles]
    assert len(references) == 2 and first.reference in references


def test_it_matches_the_inquirys_dates(riverside: User) -> None:
    case = submitted(riverside, "approve")
    assert case.planned_infusion_date is not None
    body = inquiry(claim_identifier="INQ-8")
    item = body["entry"][0]["resource"]["item"][0]
    item["servicedPeriod"] = {"start": days_ago(-6), "end": days_ago(-36)}  # around it
    assert len(answer_bundles(post(client_for(riverside), "inquire", body))) == 1
    item["servicedPeriod"] = {"start": days_ago(-100), "end": days_ago(-130)}  # after it
    assert answer_bundles(post(client_for(riverside), "inquire", body)) == []


def test_it_answers_nothing_for_another_service(riverside: User) -> None:
    submitted(riverside, "approve")
    body = inquiry()
    body["entry"][0]["resource"]["item"][0]["productOrService"]["coding"][0]["code"] = "J7195"
    response = post(client_for(riverside), "inquire", body)
    assert response.status_code == 200 and answer_bundles(response) == []


def test_it_never_answers_about_one_patient_with_anothers_request(
    riverside: User, pharmacist: User
) -> None:
    """The data leak of issue 18: another member's reference, number or trace number with this
    patient answers nothing, though the case is the caller's clinic's."""
    case = approved(riverside, pharmacist)
    number = Authorization.objects.get(case=case).number
    for body in (
        inquiry(pre_auth_ref=case.reference, member_id="HGX-MEM-3003"),
        inquiry(pre_auth_ref=number, member_id="HGX-MEM-3003"),
        inquiry(claim_identifier="RHA-2026-0001", member_id="HGX-MEM-3003"),
    ):
        response = post(client_for(riverside), "inquire", body)
        assert response.status_code == 200
        assert answer_bundles(response) == []
        assert case.reference not in response.content.decode()


def test_it_answers_a_portal_made_case_by_its_reference(riverside: User) -> None:
    """The same case record whichever door it came in by; it has no FHIR Claim, so the
    response's request names the case itself."""
    case = make_case(riverside)
    body = inquiry(pre_auth_ref=case.reference, member_id=case.member_id)
    response = post(client_for(riverside), "inquire", body)
    answer = claim_response(response)
    assert answer["preAuthRef"] == case.reference
    case_id = {"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference}
    assert answer["request"]["identifier"] == case_id
    assert "portal" in answer["request"]["display"]
    assert answer["identifier"] == [case_id]


def test_another_clinic_cannot_inquire_about_a_case(riverside: User, lakeside: User) -> None:
    case = submitted(riverside, "approve")
    lakeside_npi = lakeside.organization.npi if lakeside.organization else ""
    for body in (inquiry(pre_auth_ref=case.reference), inquiry(claim_identifier="RHA-2026-0001")):
        response = post(client_for(lakeside), "inquire", body)  # as Riverside's provider
        assert response.status_code == 403
        assert outcome_issues(response)[0]["code"] == "forbidden"
        assert case.reference not in response.content.decode()
        for entry in body["entry"]:  # as its own provider: nothing of Riverside's
            if entry["resource"]["resourceType"] == "Organization":
                entry["resource"]["identifier"][0]["value"] = lakeside_npi
        response = post(client_for(lakeside), "inquire", body)
        assert response.status_code == 200 and answer_bundles(response) == []
    misses = AuditLog.objects.filter(action="fhir.inquire", actor=lakeside)
    assert [(row.case_id, row.detail["found"]) for row in misses] == [(None, 0)] * 2


def test_it_audits_each_inquiry(riverside: User) -> None:
    case = submitted(riverside, "approve")
    post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    row = AuditLog.objects.get(action="fhir.inquire")
    assert (row.case, row.actor, row.organization_id) == (case, riverside, case.organization_id)
    assert row.detail["status"] == ["submitted"] and row.detail["numbers"] == [case.reference]
    assert row.detail["references"] == [case.reference]


def test_it_answers_c_for_a_withdrawn_request(riverside: User) -> None:
    case = submitted(riverside, "pend")
    services.case_withdraw(actor=riverside, case=case, reason="Patient moved away")
    body = inquiry(pre_auth_ref=case.reference, member_id=case.member_id)
    response = post(client_for(riverside), "inquire", body)
    assert review_action(claim_response(response)) == codes.CANCELLED


def test_it_answers_c_without_the_authorization_once_the_plan_voided_it(
    riverside: User, pharmacist: User, portal_admin: User
) -> None:
    """An authorization voided as entered in error is no longer one to bill under: the answer
    is cancelled, names the voided number, and gives no period or number to act on."""
    case = approved(riverside, pharmacist)
    auth = Authorization.objects.get(case=case)
    services.authorization_void(actor=portal_admin, number=auth.number, reason="Entered in error")

    response = post(client_for(riverside), "inquire", inquiry(claim_identifier="RHA-2026-0001"))

    assert response.status_code == 200, response.content
    answer = claim_response(response)
    assert review_action(answer) == codes.CANCELLED
    assert "preAuthPeriod" not in answer
    assert f"{auth.number} was voided" in answer["disposition"]
    action = answer["item"][0]["adjudication"][0]["extension"][0]["extension"]
    assert not [part for part in action if part["url"] == "number"]
