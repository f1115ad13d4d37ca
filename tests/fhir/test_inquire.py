import pytest

from accounts.models import User
from audit.models import AuditLog
from pas import codes
from reviews import services
from reviews.models import Authorization, Case
from tests.conftest import client_for
from tests.factories import make_case
from tests.fhir.support import (
    claim_response,
    example,
    inquiry,
    outcome_issues,
    post,
    resources,
    review_action,
)

pytestmark = pytest.mark.django_db


def submitted(clinic_user: User, name: str) -> Case:
    response = post(client_for(clinic_user), "submit", example(name))
    assert response.status_code == 200, response.content
    return Case.objects.get(reference=claim_response(response)["preAuthRef"])


def test_it_answers_an_approval_with_a1_and_the_authorization_period(
    riverside: User, pharmacist: User
) -> None:
    case = submitted(riverside, "approve")
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case, reason="Meets every criterion")
    response = post(client_for(riverside), "inquire", inquiry(claim_identifier="RHA-2026-0001"))
    assert response.status_code == 200, response.content
    answer = claim_response(response)
    auth = Authorization.objects.get(case=case)
    period = {"start": auth.valid_from.isoformat(), "end": auth.valid_to.isoformat()}
    assert review_action(answer) == codes.CERTIFIED
    assert answer["preAuthRef"] == case.reference
    assert answer["preAuthPeriod"] == period
    assert answer["outcome"] == "complete"
    item = answer["item"][0]
    assert item["extension"] == [{"url": codes.EXT_ITEM_PREAUTH_PERIOD, "valuePeriod": period}]
    action = item["adjudication"][0]["extension"][0]["extension"]
    assert {"url": "number", "valueString": auth.number} in action
    assert codes.PAS_INQUIRY_RESPONSE_PROFILE in answer["meta"]["profile"]


def test_it_answers_a_denial_with_a3_and_the_failed_criteria(
    riverside: User, pharmacist: User
) -> None:
    case = submitted(riverside, "deny")
    services.case_claim(actor=pharmacist, case=case)
    reason = "Uncontrolled HIV infection is an exclusion of the policy."
    services.case_deny(actor=pharmacist, case=case, failed_criteria=["excl_hiv"], reason=reason)
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    answer = claim_response(response)
    assert review_action(answer) == codes.NOT_CERTIFIED
    assert "preAuthPeriod" not in answer
    assert answer["disposition"] == f"Not certified: {reason}"
    [note] = answer["processNote"]
    assert note["text"].startswith("Criterion not met (excl_hiv): Positive HIV serological test")
    reasons = [a["reason"]["coding"][0] for a in answer["item"][0]["adjudication"][1:]]
    assert [(r["system"], r["code"]) for r in reasons] == [(codes.CRITERIA_SYSTEM, "excl_hiv")]


def test_it_answers_a4_while_a_person_has_not_decided(riverside: User) -> None:
    case = submitted(riverside, "approve")
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    assert review_action(claim_response(response)) == codes.PENDED


def test_it_lists_the_reviewers_questions_when_pended(riverside: User, pharmacist: User) -> None:
    case = submitted(riverside, "pend")
    services.case_claim(actor=pharmacist, case=case)
    asked = ["Liver elastography report", "HIV serology"]
    services.case_pend(actor=pharmacist, case=case, items=asked, message="Need these two.")
    response = post(client_for(riverside), "inquire", inquiry(claim_identifier="RHA-2026-0003"))
    answer = claim_response(response)
    assert review_action(answer) == codes.PENDED
    assert answer["disposition"].startswith("Pended: the reviewer asked for more information.")
    texts = [note["text"] for note in answer["processNote"]]
    assert texts[:2] == asked
    assert set(Case.objects.get().checklist["requests_for_information"]) <= set(texts)
    [request] = resources(response, "CommunicationRequest")
    assert [p["contentString"] for p in request["payload"]] == texts


def test_it_finds_the_case_by_its_authorization_number(riverside: User, pharmacist: User) -> None:
    case = submitted(riverside, "approve")
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case)
    number = Authorization.objects.get(case=case).number
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=number))
    assert claim_response(response)["preAuthRef"] == case.reference


def test_it_answers_a_portal_made_case_by_its_reference(riverside: User) -> None:
    """The same case record whichever door it came in by."""
    case = make_case(riverside)
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    answer = claim_response(response)
    assert answer["preAuthRef"] == case.reference and "request" not in answer


def test_another_clinic_cannot_inquire_about_a_case(riverside: User, lakeside: User) -> None:
    case = submitted(riverside, "approve")
    for body in (inquiry(pre_auth_ref=case.reference), inquiry(claim_identifier="RHA-2026-0001")):
        response = post(client_for(lakeside), "inquire", body)
        assert response.status_code == 404
        [issue] = outcome_issues(response)
        assert issue["code"] == "not-found"
        assert case.reference not in response.content.decode()
    misses = AuditLog.objects.filter(action="fhir.inquire", actor=lakeside)
    assert [(row.case_id, row.detail["found"]) for row in misses] == [(None, False)] * 2


def test_it_audits_each_inquiry(riverside: User) -> None:
    case = submitted(riverside, "approve")
    post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    row = AuditLog.objects.get(action="fhir.inquire")
    assert (row.case, row.actor, row.organization_id) == (case, riverside, case.organization_id)
    assert row.detail["status"] == "submitted" and row.detail["pre_auth_ref"] == [case.reference]


def test_it_answers_c_for_a_withdrawn_request(riverside: User) -> None:
    case = submitted(riverside, "pend")
    services.case_withdraw(actor=riverside, case=case, reason="Patient moved away")
    response = post(client_for(riverside), "inquire", inquiry(pre_auth_ref=case.reference))
    assert review_action(claim_response(response)) == codes.CANCELLED
