"""A PAS Claim update answers the request for information of the case its Claim.related names."""

import pytest

from accounts.models import User
from audit.models import AuditLog
from pas import codes
from reviews import services
from reviews.models import Case, CaseEvent, Status
from tests.conftest import client_for
from tests.fhir.support import (
    claim_response,
    claim_update,
    example,
    outcome_issues,
    post,
    resources,
    review_action,
    token_client,
)

pytestmark = pytest.mark.django_db

PRIOR = "RHA-2026-0003"  # the "pend" example's Claim.identifier


def pended(riverside: User, pharmacist: User, claim_identifier: str | None = None) -> Case:
    """The pend example filed (under another Claim.identifier, if given) and pended."""
    body = example("pend")
    if claim_identifier is not None:
        body["entry"][0]["resource"]["identifier"][0]["value"] = claim_identifier
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 200, response.content
    case = Case.objects.get(reference=claim_response(response)["preAuthRef"])
    services.case_claim(actor=pharmacist, case=case)
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology"], message="Please send.")
    return case


def answers(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(action="answer_rfi"))


def test_it_answers_the_request_for_information_with_the_updates_facts(
    riverside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    assert case.facts.get("hiv_status") is None and case.recommendation == "pend"

    response = post(token_client(riverside), "submit", claim_update(PRIOR, "RHA-2026-0003-U1"))

    assert response.status_code == 200, response.content
    answer = claim_response(response)
    assert answer["preAuthRef"] == case.reference
    assert review_action(answer) == codes.PENDED
    assert answer["disposition"].startswith("Pended for review")
    assert resources(response, "CommunicationRequest") == []  # nothing is missing any more
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW and case.assigned_to == pharmacist
    assert case.clock_paused_at is None
    assert case.facts["hiv_status"] is not None
    assert case.recommendation == "approve"
    rfi = case.rfis.get()
    assert rfi.answered_by == riverside and rfi.answered_at is not None
    [event] = answers(case)
    assert "hiv_status" in event.detail["changed_facts"]
    assert "RHA-2026-0003-U1" in event.reason
    audit = AuditLog.objects.get(action="fhir.update")
    assert audit.case == case and audit.detail["replayed"] is False


def test_the_same_update_sent_twice_answers_once(riverside: User, pharmacist: User) -> None:
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "RHA-2026-0003-U1")

    first = post(token_client(riverside), "submit", body)
    again = post(token_client(riverside), "submit", body)

    assert first.status_code == again.status_code == 200
    assert claim_response(again)["preAuthRef"] == case.reference
    assert len(answers(case)) == 1
    replays = AuditLog.objects.filter(action="fhir.update", detail__replayed=True)
    assert replays.count() == 1


def test_it_refuses_an_update_of_a_case_not_waiting_for_information(
    riverside: User, pharmacist: User
) -> None:
    response = post(client_for(riverside), "submit", example("pend"))
    case = Case.objects.get(reference=claim_response(response)["preAuthRef"])
    facts = dict(case.facts)

    refused = post(token_client(riverside), "submit", claim_update(PRIOR, "RHA-2026-0003-U1"))

    assert refused.status_code == 422
    [issue] = outcome_issues(refused)
    assert issue["code"] == "business-rule"
    assert "not waiting for information" in issue["diagnostics"]
    case.refresh_from_db()
    assert case.facts == facts and case.status == Status.SUBMITTED
    assert answers(case) == []
    assert not AuditLog.objects.filter(action="fhir.update").exists()


def test_it_answers_404_when_no_case_of_the_clinic_matches(riverside: User) -> None:
    response = post(token_client(riverside), "submit", claim_update("RHA-NEVER-SENT", "U-1"))

    assert response.status_code == 404
    [issue] = outcome_issues(response)
    assert issue["code"] == "not-found"
    assert issue["expression"] == ["Bundle.entry[0].resource.related"]


def test_another_clinic_cannot_answer_for_a_case(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "LHTC-1")
    provider = next(
        e["resource"]
        for e in body["entry"]
        if e["fullUrl"] == body["entry"][0]["resource"]["provider"]["reference"]
    )
    npi = next(i for i in provider["identifier"] if i["system"] == codes.NPI_SYSTEM)
    npi["value"] = lakeside.organization.npi  # type: ignore[union-attr]

    response = post(token_client(lakeside), "submit", body)

    assert response.status_code == 404  # Riverside's case is not Lakeside's to see
    case.refresh_from_db()
    assert case.status == Status.PENDED and answers(case) == []


def test_it_refuses_an_update_for_another_member(riverside: User, pharmacist: User) -> None:
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "RHA-2026-0003-U1")
    coverage = next(
        e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Coverage"
    )
    coverage["subscriberId"] = "OTHER-MEMBER-1"

    response = post(token_client(riverside), "submit", body)

    assert response.status_code == 422
    assert "OTHER-MEMBER-1" in outcome_issues(response)[0]["diagnostics"]
    case.refresh_from_db()
    assert case.status == Status.PENDED and answers(case) == []


def test_it_points_an_invalid_fact_in_the_update_at_its_observation(
    riverside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "RHA-2026-0003-U1")
    index, titre = next(
        (i, e["resource"])
        for i, e in enumerate(body["entry"])
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "inhibitor_titer_bu"
    )
    titre["valueQuantity"]["value"] = -3

    response = post(token_client(riverside), "submit", body)

    assert response.status_code == 422, response.content
    [issue] = outcome_issues(response)
    assert issue["diagnostics"] == "inhibitor_titer_bu: must not be negative; got -3"
    assert issue["expression"] == [f"Bundle.entry[{index}].resource"]
    case.refresh_from_db()
    assert case.status == Status.PENDED and answers(case) == []


def test_it_finds_the_case_by_the_identifier_in_claim_related_alone(
    riverside: User, pharmacist: User
) -> None:
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "RHA-2026-0003-U1")
    body["entry"].pop()  # no earlier Claim in the bundle: only its identifier in the reference
    body["entry"][0]["resource"]["related"][0]["claim"] = {"identifier": {"value": PRIOR}}

    response = post(token_client(riverside), "submit", body)

    assert response.status_code == 200, response.content
    assert claim_response(response)["preAuthRef"] == case.reference
    assert len(answers(case)) == 1


def _weight(body: dict) -> dict:
    return next(
        e["resource"]
        for e in body["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == codes.LOINC_BODY_WEIGHT
    )


def test_it_refuses_an_update_sent_again_with_other_details(
    riverside: User, pharmacist: User
) -> None:
    """The update's Claim.identifier is its idempotency key: the same key with another body
    weight is other content, refused, not answered as a replay with the new weight dropped."""
    case = pended(riverside, pharmacist)
    body = claim_update(PRIOR, "RHA-2026-0003-U1")
    assert post(token_client(riverside), "submit", body).status_code == 200
    case.refresh_from_db()
    weight = case.body_weight_kg
    _weight(body)["valueQuantity"]["value"] = 95

    again = post(token_client(riverside), "submit", body)

    assert again.status_code == 422, again.content
    assert outcome_issues(again)[0]["code"] == "duplicate"
    case.refresh_from_db()
    assert case.body_weight_kg == weight
    assert not AuditLog.objects.filter(action="fhir.update", detail__replayed=True).exists()


def test_it_refuses_an_update_key_sent_again_for_another_case(
    riverside: User, pharmacist: User
) -> None:
    """One update identifier naming another case's Claim is not a replay of the first update:
    refused, instead of answering with the first case and leaving the second unanswered."""
    first = pended(riverside, pharmacist)
    second = pended(riverside, pharmacist, "RHA-2026-0004")
    assert post(token_client(riverside), "submit", claim_update(PRIOR, "U-1")).status_code == 200

    again = post(token_client(riverside), "submit", claim_update("RHA-2026-0004", "U-1"))

    assert again.status_code == 422, again.content
    assert outcome_issues(again)[0]["code"] == "duplicate"
    assert len(answers(first)) == 1 and answers(second) == []


def test_it_does_not_take_an_identifier_ending_in_the_value_for_the_related_claim(
    riverside: User, pharmacist: User
) -> None:
    """Claim.related naming the earlier Claim by value "0003" alone (no system) is not the
    request whose Claim.identifier is "RHA|0003"."""
    case = pended(riverside, pharmacist, "RHA|0003")
    update = claim_update(PRIOR, "U-1")
    update["entry"].pop()
    update["entry"][0]["resource"]["related"][0]["claim"] = {"identifier": {"value": "0003"}}

    response = post(token_client(riverside), "submit", update)

    assert response.status_code == 404, response.content
    assert answers(case) == []
