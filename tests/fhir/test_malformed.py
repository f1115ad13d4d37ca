"""Every malformed or refused request: one OperationOutcome, a 4xx status, nothing created."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditLog
from reviews.models import Case, Patient
from tests.conftest import client_for
from tests.fhir.support import (
    FHIR_JSON,
    add_form,
    entry_index,
    example,
    inquiry,
    outcome_issues,
    post,
    token_client,
)

pytestmark = pytest.mark.django_db
Bundle = dict[str, Any]


def claim(body: Bundle) -> dict[str, Any]:
    return body["entry"][0]["resource"]


def resource(body: Bundle, kind: str, code: str | None = None) -> dict[str, Any]:
    return body["entry"][entry_index(body, kind, code)]["resource"]


def claim_not_first(body: Bundle) -> None:
    body["entry"][0], body["entry"][1] = body["entry"][1], body["entry"][0]


def use_claim(body: Bundle) -> None:
    claim(body)["use"] = "claim"


def without_patient(body: Bundle) -> None:
    del body["entry"][entry_index(body, "Patient")]


def other_clinics_npi(body: Bundle) -> None:
    org = resource(body, "Organization")
    org["identifier"][0]["value"] = "1765432103"  # Lakeside's


def impossible_birth_date(body: Bundle) -> None:
    resource(body, "Patient")["birthDate"] = "1985-02-30"


def partial_birth_date(body: Bundle) -> None:
    resource(body, "Patient")["birthDate"] = "1985-06"


def lab_after_today(body: Bundle) -> None:
    resource(body, "Observation", "1742-6")["effectiveDateTime"] = "2999-01-01"


def lab_before_birth(body: Bundle) -> None:
    resource(body, "Observation", "1975-2")["effectiveDateTime"] = "1970-01-01"


def not_hemgenix(body: Bundle) -> None:
    claim(body)["item"][0]["productOrService"]["coding"][0]["code"] = "J7201"
    resource(body, "MedicationRequest")["medicationCodeableConcept"]["coding"][0]["code"] = "J7201"


def unknown_resource_type(body: Bundle) -> None:
    body["entry"].append({"fullUrl": "urn:uuid:1d1d1d1d-0000-4000-8000-000000000001",
                          "resource": {"resourceType": "Spaceship"}})  # fmt: skip


def observation_of_someone_else(body: Bundle) -> None:
    resource(body, "Observation", "1742-6")["subject"] = {"reference": "Patient/someone-else"}


def unknown_unit(body: Bundle) -> None:
    quantity = resource(body, "Observation", "1742-6")["valueQuantity"]
    quantity["unit"] = quantity["code"] = "mmol/s"


def unit_for_another_test(body: Bundle) -> None:
    quantity = resource(body, "Observation", "1742-6")["valueQuantity"]
    quantity["unit"] = quantity["code"] = "mg/dL"


def transaction_bundle(body: Bundle) -> None:
    body["type"] = "transaction"


def no_claim_identifier(body: Bundle) -> None:
    del claim(body)["identifier"]


def conflicting_hiv_status(body: Bundle) -> None:
    add_form(body, {("infections", "hiv_status"): {"valueCoding": {"code": "positive_controlled"}}})


def unknown_link_id(body: Bundle) -> None:
    add_form(body, {("infections", "hiv_stauts"): {"valueString": "negative"}})


def invalid_prescriber_npi(body: Bundle) -> None:
    resource(body, "Practitioner")["identifier"][0]["value"] = "1234567890"


MALFORMED: list[tuple[Callable[[Bundle], None], int, str | None]] = [
    (claim_not_first, 422, "Bundle.entry[0]"),
    (use_claim, 422, "Bundle.entry[0].resource.use"),
    (without_patient, 422, "Bundle.entry[0].resource.patient"),
    (other_clinics_npi, 403, "Bundle.entry[0].resource.provider"),
    (impossible_birth_date, 400, "Bundle.entry[1].resource.birthDate"),
    (partial_birth_date, 422, "Bundle.entry[1].resource.birthDate"),
    (lab_after_today, 422, "Bundle.entry[8].resource"),
    (lab_before_birth, 422, "Bundle.entry[11].resource"),
    (not_hemgenix, 422, "Bundle.entry[0].resource.item"),
    (unknown_resource_type, 400, None),
    (observation_of_someone_else, 422, "Bundle.entry[8].resource.subject"),
    (unknown_unit, 422, "Bundle.entry[8].resource.valueQuantity"),
    (unit_for_another_test, 422, "Bundle.entry[8].resource"),
    (transaction_bundle, 422, "Bundle.type"),
    (no_claim_identifier, 422, "Bundle.entry[0].resource.identifier"),
    (conflicting_hiv_status, 422, "Bundle.entry[26].resource.item[0]"),
    (unknown_link_id, 422, "Bundle.entry[26].resource.item[0].item[0]"),
    (invalid_prescriber_npi, 422, "Bundle.entry[5].resource.identifier"),
]


@pytest.mark.parametrize(
    ("breaks", "status", "expression"), MALFORMED, ids=[m[0].__name__ for m in MALFORMED]
)
def test_it_refuses_a_malformed_bundle_and_creates_nothing(
    riverside: User, breaks: Callable[[Bundle], None], status: int, expression: str | None
) -> None:
    body = example("approve")
    breaks(body)
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == status, response.content
    issues = outcome_issues(response)
    assert issues and all(issue["severity"] == "error" for issue in issues)
    if expression is not None:
        assert any(expression in issue.get("expression", [""])[0] for issue in issues), issues
    assert not Case.objects.exists()
    assert not Patient.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="fhir.").exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("this is not JSON {", FHIR_JSON, 400),
        ('{"resourceType": "Patient", "id": "x"}', FHIR_JSON, 400),
        ("[1, 2, 3]", FHIR_JSON, 400),
        ("", FHIR_JSON, 400),
        ('{"resourceType": "Bundle", "type": "collection"}', "text/plain", 415),
    ],
    ids=["not-json", "wrong-resource-type", "json-array", "empty", "wrong-media-type"],
)
def test_it_refuses_a_body_that_is_not_a_fhir_bundle(
    riverside: User, body: str, content_type: str, status: int
) -> None:
    for operation in ("submit", "inquire"):
        response = post(client_for(riverside), operation, body, content_type=content_type)
        assert response.status_code == status, response.content
        assert len(outcome_issues(response)) == 1
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_points_a_facts_error_at_the_observation_it_came_from(riverside: User) -> None:
    body = example("approve")
    lab_after_today(body)
    [issue] = outcome_issues(post(client_for(riverside), "submit", body))
    assert issue["expression"] == ["Bundle.entry[8].resource"]
    assert issue["diagnostics"].startswith("labs[0].date: 2999-01-01 is after the evaluation date")


def test_it_refuses_payer_staff(pharmacist: User, auditor: User, director: User) -> None:
    for client in (token_client(pharmacist), token_client(director), client_for(auditor)):
        for operation in ("submit", "inquire"):
            body = example("approve") if operation == "submit" else inquiry()
            response = post(client, operation, body)
            assert response.status_code == 403, response.content
            assert outcome_issues(response)[0]["code"] == "forbidden"
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_asks_an_anonymous_caller_to_authenticate(db: None) -> None:
    for operation in ("submit", "inquire"):
        response = post(APIClient(), operation, example("approve"))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert outcome_issues(response)[0]["code"] == "login"


def test_it_refuses_a_get_on_an_operation(riverside: User) -> None:
    response = client_for(riverside).get(reverse("fhir:submit"))
    assert response.status_code == 405
    assert outcome_issues(response)[0]["code"] == "not-supported"


def test_the_npi_check_uses_the_callers_clinic(riverside: User, lakeside: User) -> None:
    """Riverside's bundle sent by Lakeside staff is refused, not filed under Lakeside."""
    response = post(client_for(lakeside), "submit", example("approve"))
    assert response.status_code == 403
    assert "not your clinic's NPI" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists()


def test_it_refuses_a_body_over_the_upload_limit(riverside: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    body = example("approve")
    body["entry"][0]["resource"]["text"] = {"status": "generated", "div": "x" * 70_000}
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 413
    assert outcome_issues(response)[0]["code"] == "too-costly"
    assert not Case.objects.exists()


def test_it_refuses_two_entries_with_one_full_url(riverside: User) -> None:
    """FHIR's bdl-7: a fullUrl names one entry. Two Patients under one fullUrl left it to the
    order of the entries whose name and birth date the request was filed under."""
    body = example("approve")
    twin = {**body["entry"][1], "resource": dict(body["entry"][1]["resource"])}
    twin["resource"]["name"] = [{"family": "Other", "given": ["Pat"]}]
    body["entry"].append(twin)
    client = client_for(riverside)
    audit_rows = AuditLog.objects.count()

    response = post(client, "submit", body)

    assert 400 <= response.status_code < 500, response.content
    assert outcome_issues(response)[0]["expression"] == [
        f"Bundle.entry[{len(body['entry']) - 1}].fullUrl"
    ]
    assert not Case.objects.exists() and not Patient.objects.exists()
    assert AuditLog.objects.count() == audit_rows
