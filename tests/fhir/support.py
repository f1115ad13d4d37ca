"""Helpers for the FHIR door's tests: the example bundles and reading PAS answers."""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token
from pas import codes
from reviews.demo import days_ago

EXAMPLES = Path(__file__).parent / "examples"
FHIR_JSON = "application/fhir+json"


@cache
def _example_text(name: str) -> str:
    return (EXAMPLES / f"{name}-bundle.json").read_text(encoding="utf-8")


def example(name: str) -> dict[str, Any]:
    """A fresh copy of tests/fhir/examples/<name>-bundle.json to change freely, its planned
    infusion date (Claim.item.servicedDate) moved to planned_infusion()."""
    body = copy.deepcopy(json.loads(_example_text(name)))
    for item in body["entry"][0]["resource"].get("item", []):
        if "servicedDate" in item:
            item["servicedDate"] = planned_infusion()
    return body


def planned_infusion() -> str:
    """The examples' planned infusion date: 20 days from today, as every door may give one
    (not in the past, within an authorization's validity), whenever the tests run."""
    return days_ago(-20)


def post(client: Client, operation: str, body: Any, content_type: str = FHIR_JSON) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(reverse(f"fhir:{operation}"), data=data, content_type=content_type)


def token_client(user: User) -> APIClient:
    """How an EHR calls: an API token, no session."""
    client = APIClient()
    _, raw = issue_token(user, "test EHR")
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def parsed(response: Any) -> dict[str, Any]:
    """The JSON body, after checking it is valid FHIR R4 (R4B models) of its own type."""
    body = json.loads(response.content)
    if body["resourceType"] == "Bundle":
        Bundle.model_validate(body)
    return body


def answer_bundles(response: Any) -> list[dict[str, Any]]:
    """The response Bundles of an answer: the one of $submit, each of $inquire's Parameters."""
    body = parsed(response)
    if body["resourceType"] == "Parameters":
        assert all(p["name"] == "return" for p in body.get("parameter", [])), body
        bundles = [p["resource"] for p in body.get("parameter", [])]
        for bundle in bundles:
            Bundle.model_validate(bundle)
        return bundles
    assert body["resourceType"] == "Bundle", body
    return [body]


def the_bundle(response: Any) -> dict[str, Any]:
    """The one response Bundle of an answer ($submit, or an $inquire matching one request)."""
    [bundle] = answer_bundles(response)
    assert bundle["type"] == "collection"
    return bundle


def claim_response(response: Any) -> dict[str, Any]:
    first = the_bundle(response)["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse"
    return dict(first)


def resources(response: Any, kind: str) -> list[dict[str, Any]]:
    body = the_bundle(response)
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def resolve(bundle: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """The entry of a response Bundle a reference names by its fullUrl."""
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"])


def review_action(claim_response: dict[str, Any]) -> str:
    """The X12 306 code on the first item's reviewAction (PAS: item.adjudication.extension)."""
    adjudication = claim_response["item"][0]["adjudication"][0]
    assert adjudication["category"]["coding"][0]["code"] == "submitted"
    action = next(e for e in adjudication["extension"] if e["url"] == codes.EXT_REVIEW_ACTION)
    code = next(e for e in action["extension"] if e["url"] == codes.EXT_REVIEW_ACTION_CODE)
    coding = code["valueCodeableConcept"]["coding"][0]
    assert coding["system"] == codes.X12_ACTION_SYSTEM
    return str(coding["code"])


def outcome_issues(response: Any) -> list[dict[str, Any]]:
    """The issues of the single OperationOutcome a refusal must be."""
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome", body
    assert response["Content-Type"].startswith(FHIR_JSON)
    return list(body["issue"])


def entry_index(bundle: dict[str, Any], kind: str, code: str | None = None) -> int:
    """Index of the first entry of a resource type (and Observation code, if given)."""
    for index, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        if resource["resourceType"] != kind:
            continue
        if code is None or resource["code"]["coding"][0]["code"] == code:
            return index
    raise LookupError(f"no {kind} {code or ''} in the bundle")


def inquiry(
    *,
    claim_identifier: str | None = None,
    pre_auth_ref: str | None = None,
    member_id: str | None = None,
) -> dict:
    """The example inquiry: by the original Claim.identifier or Claim.insurance.preAuthRef, for
    the example's member or another (Coverage.subscriberId and the Patient's MB identifier)."""
    body = example("inquiry")
    claim = body["entry"][0]["resource"]
    if claim_identifier is not None:
        claim["identifier"][0]["value"] = claim_identifier
    if pre_auth_ref is not None:
        claim["insurance"][0]["preAuthRef"] = [pre_auth_ref]
    if member_id is not None:
        for entry in body["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "Coverage":
                resource["subscriberId"] = member_id
            if resource["resourceType"] == "Patient":
                resource["identifier"][0]["value"] = member_id
    return body


def add_form(body: dict[str, Any], answers: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Append a QuestionnaireResponse answering (group linkId, question linkId) -> answer."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for (group, link_id), answer in answers.items():
        groups.setdefault(group, []).append({"linkId": link_id, "answer": [answer]})
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": group, "item": items} for group, items in groups.items()],
    }
    body["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": response})


RELATED_CLAIM_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"


def claim_update(prior_identifier: str, identifier: str, *, complete: bool = True) -> dict:
    """A PAS Claim update of the "pend" example: a new Claim.identifier, Claim.related naming
    the prior Claim (included in the bundle, as PAS requires) and, if complete, the facts the
    "approve" example has and "pend" lacks (their subject moved to this bundle's Patient)."""
    body = example("pend")
    claim = body["entry"][0]["resource"]
    prior = copy.deepcopy(claim)
    prior["identifier"][0]["value"] = prior_identifier
    prior_url = f"urn:uuid:{uuid.uuid4()}"
    claim["identifier"][0]["value"] = identifier
    claim["related"] = [
        {
            "claim": {"reference": prior_url},
            "relationship": {"coding": [{"system": RELATED_CLAIM_SYSTEM, "code": "prior"}]},
        }
    ]
    if complete:
        have = {_observation_code(e["resource"]) for e in body["entry"]}
        for entry in example("approve")["entry"]:
            observation = entry["resource"]
            if (
                observation["resourceType"] == "Observation"
                and _observation_code(observation) not in have
            ):
                observation["subject"] = claim["patient"]
                body["entry"].append(
                    {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": observation}
                )
    body["entry"].append({"fullUrl": prior_url, "resource": prior})
    return body


def _observation_code(resource: dict[str, Any]) -> str | None:
    if resource["resourceType"] != "Observation":
        return None
    return str(resource["code"]["coding"][0]["code"])
