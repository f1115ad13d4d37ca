"""The served definitions: the DTR Questionnaire (and a round trip through it) and the CodeSystems."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.questionnaire import Questionnaire
from rest_framework.test import APIClient

from accounts.models import User
from criteria.io import FACT_FIELDS, IMAGING_FIELDS, IMAGING_KINDS, LAB_FIELDS
from pas import codes
from pas.collect import DETAIL_KEYS
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import approvable_facts
from tests.fhir.support import claim_response, example, outcome_issues, post, token_client

pytestmark = pytest.mark.django_db
# Facts the portal fills itself rather than asking the clinic.
NOT_ASKED = {"evaluation_date", "date_of_birth", "active_approvals_on_file"}


def served_questionnaire(user: User) -> dict[str, Any]:
    response = token_client(user).get(reverse("fhir:questionnaire"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = json.loads(response.content)
    Questionnaire.model_validate(body)
    return body


def test_it_serves_a_questionnaire_asking_every_fact_the_clinic_supplies(riverside: User) -> None:
    form = served_questionnaire(riverside)
    assert form["url"] == codes.QUESTIONNAIRE_URL
    questions = [q["linkId"] for group in form["item"] for q in group["item"]]
    keys = {link.rsplit(".", 1)[-1] for link in questions}
    repeating = {group["linkId"] for group in form["item"] if group["repeats"]}
    assert set(FACT_FIELDS) - NOT_ASKED <= keys | repeating
    known = set(FACT_FIELDS) | set(LAB_FIELDS) | set(IMAGING_FIELDS) | set(DETAIL_KEYS)
    assert keys <= known, keys - known
    assert repeating == {"labs", "imaging"}


def test_a_filled_in_questionnaire_gives_the_portals_facts(riverside: User) -> None:
    """A QuestionnaireResponse built from the served form and the facts the portal's own
    factory uses round-trips to exactly those facts."""
    facts = approvable_facts()
    body = example("approve")
    body["entry"] = [e for e in body["entry"] if e["resource"]["resourceType"] != "Observation"]
    body["entry"].append({
        "fullUrl": "urn:uuid:4a4a4a4a-0000-4000-8000-000000000001",
        "resource": questionnaire_response(served_questionnaire(riverside), facts),
    })  # fmt: skip
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 200, response.content
    case = Case.objects.get(reference=claim_response(response)["preAuthRef"])
    assert case.facts == facts
    assert case.recommendation == "approve"


def questionnaire_response(form: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    items = []
    for group in form["item"]:
        rows = facts.get(group["linkId"], []) if group["repeats"] else [facts]
        for row in rows:
            answers = [answered(q, row) for q in group["item"]]
            if any(answers):
                items.append({"linkId": group["linkId"], "item": [a for a in answers if a]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": form["url"],
        "status": "completed",
        "item": items,
    }


def answered(question: dict[str, Any], row: dict[str, Any]) -> dict[str, Any] | None:
    value = row.get(question["linkId"].rsplit(".", 1)[-1])
    if value is None:
        return None
    kind = question["type"]
    if kind == "decimal":
        number = Decimal(value)
        answer: dict[str, Any] = {"valueDecimal": int(number) if "." not in value else float(value)}
    elif kind == "choice":
        answer = {"valueCoding": {"code": value}}
    else:
        field = {"boolean": "valueBoolean", "date": "valueDate"}.get(kind, "valueString")
        answer = {field: value}
    return {"linkId": question["linkId"], "answer": [answer]}


def test_it_serves_its_own_code_system(riverside: User) -> None:
    url = reverse("fhir:codesystem", args=["hemgenix-pa"])
    body = json.loads(token_client(riverside).get(url).content)
    system = CodeSystem.model_validate(body)
    assert system.url == codes.HEMGENIX_SYSTEM
    assert [c.code for c in system.concept or []] == list(codes.OWN_OBSERVATIONS)
    assert set(codes.OWN_OBSERVATIONS) <= set(FACT_FIELDS) | set(IMAGING_KINDS)
    assert all(c.definition for c in system.concept or [])


def test_it_serves_the_criteria_as_codes(riverside: User) -> None:
    url = reverse("fhir:codesystem", args=["hemgenix-criteria"])
    system = CodeSystem.model_validate(json.loads(token_client(riverside).get(url).content))
    assert "excl_hiv" in {c.code for c in system.concept or []}


def test_it_answers_an_unknown_code_system_with_404(riverside: User) -> None:
    response = token_client(riverside).get(reverse("fhir:codesystem", args=["nope"]))
    assert response.status_code == 404
    assert outcome_issues(response)[0]["code"] == "not-found"


def test_definitions_need_a_signed_in_user(db: None) -> None:
    response = APIClient().get(reverse("fhir:questionnaire"))
    assert response.status_code == 401


def test_it_states_its_capabilities_to_anyone(db: None) -> None:
    response = APIClient().get(reverse("fhir:metadata"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(json.loads(response.content))
    assert statement.rest and statement.implementation
    [claim] = [r for r in statement.rest[0].resource or [] if r.type == "Claim"]
    assert [(o.name, o.definition) for o in claim.operation or []] == [
        ("submit", "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-submit"),
        ("inquire", "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/Claim-inquiry"),
    ]
    assert statement.implementation.url == "http://testserver/fhir"


def test_it_claims_no_capability_it_lacks(riverside: User) -> None:
    """No IG CapabilityStatement instantiated (the intermediary's needs XML), JSON only,
    Subscription without update; and nothing of the signed-in caller or any patient."""
    signed_in = token_client(riverside).get(reverse("fhir:metadata"))
    anonymous = APIClient().get(reverse("fhir:metadata"))
    body = json.loads(anonymous.content)
    assert "instantiates" not in body and "implementationGuide" not in body
    assert all("xml" not in f for f in body["format"])
    kinds = [r["type"] for r in body["rest"][0]["resource"]]
    assert kinds == ["Claim", "Subscription", "Questionnaire", "CodeSystem"]
    [subscription] = [r for r in body["rest"][0]["resource"] if r["type"] == "Subscription"]
    assert [i["code"] for i in subscription["interaction"]] == ["create", "read", "delete"]
    strip = {"date"}
    assert {k: v for k, v in json.loads(signed_in.content).items() if k not in strip} == {
        k: v for k, v in body.items() if k not in strip
    }
    text = anonymous.content.decode()
    assert riverside.username not in text and "HGX-MEM" not in text


def test_it_answers_metadata_even_with_a_bad_token(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(reverse("fhir:metadata")).status_code == 200


def test_the_fhir_endpoints_stay_out_of_the_openapi_schema(riverside: User) -> None:
    schema = token_client(riverside).get("/api/schema/", {"format": "json"}).json()
    assert not [path for path in schema["paths"] if path.startswith("/fhir")]
