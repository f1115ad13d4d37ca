"""The conformance checker (tests/fhir/conformance.py) against the IG's own examples: every
official example passes it, and a broken copy of a response example fails it."""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.fhir.conformance import PAS, checker, official_examples

INQUIRY_RESPONSE_BUNDLE = f"{PAS}profile-pas-inquiry-response-bundle"
EXAMPLES = dict(official_examples())
RESPONSES = [
    name
    for name, body in EXAMPLES.items()
    if body["resourceType"] == "Bundle"
    and body["entry"][0]["resource"]["resourceType"] == "ClaimResponse"
]
REQUESTS = [
    name
    for name, body in EXAMPLES.items()
    if body["resourceType"] == "Bundle" and body["entry"][0]["resource"]["resourceType"] == "Claim"
]


def test_it_finds_the_igs_request_and_response_examples() -> None:
    assert len(RESPONSES) == 5 and len(REQUESTS) == 6, (RESPONSES, REQUESTS)


@pytest.mark.parametrize("name", RESPONSES + REQUESTS)
def test_it_passes_every_official_example_bundle(name: str) -> None:
    assert checker().check(EXAMPLES[name]) == []


def test_it_passes_the_official_inquire_answer() -> None:
    answer = EXAMPLES["Parameters-PASClaimInquiryOperationResponseExample.json"]
    assert checker().check_parameters(answer, INQUIRY_RESPONSE_BUNDLE) == []


def _first(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["entry"][0]["resource"])


def _entry(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def find(body: dict[str, Any]) -> dict[str, Any]:
        return next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind)

    return find


def _action_code(body: dict[str, Any]) -> dict[str, Any]:
    action = _first(body)["item"][0]["adjudication"][0]["extension"][0]
    return dict(action["extension"][0]["valueCodeableConcept"]["coding"][0])


def _no_identifier(body: dict[str, Any]) -> None:
    del body["identifier"]


def _no_request(body: dict[str, Any]) -> None:
    del body["entry"][0]["resource"]["request"]


def _no_gender(body: dict[str, Any]) -> None:
    del _entry("Patient")(body)["gender"]


def _identifier_without_system(body: dict[str, Any]) -> None:
    del _entry("Patient")(body)["identifier"][0]["system"]


def _wrong_action_system(body: dict[str, Any]) -> None:
    action = body["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"][0]
    action["extension"][0]["valueCodeableConcept"]["coding"][0]["system"] = (
        "https://codesystem.x12.org/005010/98"
    )


def _private_category(body: dict[str, Any]) -> None:
    adjudication = body["entry"][0]["resource"]["item"][0]["adjudication"][0]
    adjudication["category"]["coding"][0]["code"] = "eligible"


def _outcome_outside_value_set(body: dict[str, Any]) -> None:
    body["entry"][0]["resource"]["outcome"] = "queued"


def _claim_response_not_first(body: dict[str, Any]) -> None:
    body["entry"].append(body["entry"].pop(0))


def _id_disagrees_with_full_url(body: dict[str, Any]) -> None:
    body["entry"][1]["fullUrl"] = "urn:uuid:6f1e6a6e-0000-4000-8000-000000000001"


def _two_payloads_and_no_identifier(body: dict[str, Any]) -> None:
    communication = {
        "resourceType": "CommunicationRequest",
        "status": "active",
        "payload": [{"contentString": "18776-5"}, {"contentString": "Liver biopsy"}],
    }
    url = "urn:uuid:6f1e6a6e-0000-4000-8000-000000000002"
    body["entry"].append({"fullUrl": url, "resource": communication})
    body["entry"][0]["resource"]["communicationRequest"] = [{"reference": url}]


def _two_review_actions(body: dict[str, Any]) -> None:
    adjudication = body["entry"][0]["resource"]["item"][0]["adjudication"][0]
    adjudication["extension"].append(copy.deepcopy(adjudication["extension"][0]))


BREAKAGES = {
    "Bundle.identifier": _no_identifier,
    "request": _no_request,
    "gender": _no_gender,
    "identifier": _identifier_without_system,
    "valueCodeableConcept": _wrong_action_system,
    "category": _private_category,
    "outcome": _outcome_outside_value_set,
    "ClaimResponseFirst": _claim_response_not_first,
    "disagrees with fullUrl": _id_disagrees_with_full_url,
    "payload": _two_payloads_and_no_identifier,
    "extension": _two_review_actions,
}


@pytest.mark.parametrize("expected", BREAKAGES)
def test_it_fails_a_broken_copy_of_a_response_example(expected: str) -> None:
    body = copy.deepcopy(EXAMPLES["Bundle-ReferralPendingAuthorizationResponseBundleExample.json"])
    BREAKAGES[expected](body)
    problems = checker().check(body)
    assert problems, expected
    assert any(expected in problem for problem in problems), problems


def test_it_fails_a_communication_request_without_identifier_or_medium() -> None:
    body = copy.deepcopy(EXAMPLES["Bundle-ReferralPendingAuthorizationResponseBundleExample.json"])
    _two_payloads_and_no_identifier(body)
    problems = checker().check(body)
    assert any("IdentifierUnlessVO" in p for p in problems), problems
    assert any("not a LOINC attachment code" in p for p in problems), problems
