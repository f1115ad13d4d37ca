"""The hostile inputs issue 14 found answered with a 500, one by one: each is now a 400 naming
its field in the door's own shape (pages, the REST API, the FHIR door) or a form error, and
nothing is stored. The property test beside this file throws the same classes at every URL."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from audit.models import AuditLog
from pa_portal.middleware import is_json, json_depth
from reviews.models import Case, CaseEvent, Document, Patient
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case, make_patient
from tests.fhir.support import FHIR_JSON, example, outcome_issues

DEEP = 6000


def rows() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Case, Patient, CaseEvent, Document, AuditLog))


def create_body(**facts: Any) -> dict[str, Any]:
    return {
        "patient": {
            "member_id": f"E-{uuid4().hex[:10]}",
            "first_name": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1980-01-01",
            "sex_assigned_at_birth": "male",
        },
        "facts": {**approvable_facts(), **facts},
    }


def post_json(client: Client, url: str, body: Any, content_type: str = "application/json") -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type=content_type)


# --- the REST API: DRF's shape ----------------------------------------------------------------


def test_it_refuses_a_nul_in_a_query_parameter_of_the_api(riverside: User) -> None:
    response = client_for(riverside).get("/api/cases/?status=%00")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert "NUL" in response.json()["status"][0]


def test_it_refuses_a_nul_in_a_json_string_naming_its_path(riverside: User) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    body = create_body(prophylaxis_product="a\u0000b")
    response = post_json(client, "/api/cases/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["facts.prophylaxis_product"]
    assert rows() == before


@pytest.mark.parametrize("value", ["a\ud800b", "\udfff"])
def test_it_refuses_an_unpaired_surrogate(riverside: User, value: str) -> None:
    body = create_body()
    body["patient"]["first_name"] = value
    response = post_json(client_for(riverside), "/api/cases/", body)  # json.dumps: "\\ud800"
    assert response.status_code == 400
    assert list(response.json()) == ["patient.first_name"]


def test_it_refuses_a_nul_in_a_key(riverside: User) -> None:
    response = post_json(client_for(riverside), "/api/cases/", {"pa\u0000tient": {}})
    assert response.status_code == 400
    assert list(response.json()) == ["pa\\u0000tient"]  # the name, its NUL made visible
    assert "field name" in response.json()["pa\\u0000tient"][0]


@pytest.mark.parametrize(
    "literal", ["1e999999999", "-1e999999999", str(10**400), "NaN", "Infinity"]
)
def test_it_refuses_an_absurd_json_number(riverside: User, literal: str) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    text = json.dumps(create_body(fix_activity_value="@")).replace('"@"', literal)
    response = post_json(client, "/api/cases/", text)
    assert response.status_code == 400
    assert list(response.json()) == ["facts.fix_activity_value"]
    assert rows() == before


@pytest.mark.parametrize("value", ["1e999999999", "1E+400", str(10**400), "1e-999999999"])
def test_it_refuses_an_absurd_numeric_string_as_a_fact(riverside: User, value: str) -> None:
    """Not the edge's business (a string), but criteria.io bounds it before any arithmetic."""
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    body = create_body(fix_activity_value=value)
    response = post_json(client, "/api/cases/", body)
    assert response.status_code == 400, response.content[:300]
    assert "fix_activity_value" in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_it_refuses_json_nested_6000_deep(riverside: User, opening: str) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    closing = "]" if opening == "[" else "}"
    text = opening * DEEP + "1" + closing * DEEP
    response = post_json(client, "/api/cases/", text)
    assert response.status_code == 400
    assert list(response.json()) == ["body"]
    assert "64 levels" in response.json()["body"][0]
    assert rows() == before


def test_it_lets_json_within_the_depth_limit_reach_the_view(riverside: User, settings: Any) -> None:
    settings.JSON_MAX_DEPTH = 5
    client = client_for(riverside)
    at_limit = post_json(client, "/api/cases/", {"a": [[[{"b": 1}]]]})  # 5 levels
    assert at_limit.status_code == 400
    assert "body" not in at_limit.json()  # the serializer's own answer, not the edge's
    over = post_json(client, "/api/cases/", {"a": [[[{"b": [1]}]]]})  # 6 levels
    assert over.status_code == 400
    assert list(over.json()) == ["body"]


def test_it_refuses_a_nul_in_a_header(riverside: User) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    response = client.post(
        "/api/cases/",
        json.dumps(create_body()),
        content_type="application/json",
        headers={"Idempotency-Key": "k\x00"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["header Idempotency-Key"]
    assert rows() == before


def test_it_refuses_an_api_body_over_the_upload_limit(riverside: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = create_body(prophylaxis_product="x" * 2000)
    response = post_json(client_for(riverside), "/api/cases/", body)
    assert response.status_code == 413
    assert list(response.json()) == ["body"]


# --- the FHIR door: an OperationOutcome --------------------------------------------------------


def test_it_refuses_a_nul_in_a_claim_identifier(riverside: User) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    bundle = example("approve")
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "RHA-\u0000-1"
    response = post_json(client, "/fhir/Claim/$submit", bundle, FHIR_JSON)
    assert response.status_code == 400
    [issue] = outcome_issues(response)
    assert issue["code"] == "invalid"
    assert issue["expression"] == ["entry[0].resource.identifier[0].value"]
    assert rows() == before


def test_it_refuses_a_nul_in_an_observation_string(riverside: User) -> None:
    bundle = example("approve")
    index = next(i for i, e in enumerate(bundle["entry"]) if "valueString" in e["resource"])
    bundle["entry"][index]["resource"]["valueString"] = "Alprolix\u0000"
    response = post_json(client_for(riverside), "/fhir/Claim/$submit", bundle, FHIR_JSON)
    assert response.status_code == 400
    assert outcome_issues(response)[0]["expression"] == [f"entry[{index}].resource.valueString"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("operation", ["submit", "inquire"])
def test_it_refuses_a_bundle_nested_6000_deep(riverside: User, operation: str) -> None:
    text = '{"resourceType": "Bundle", "entry": ' + "[" * DEEP + "]" * DEEP + "}"
    response = post_json(client_for(riverside), f"/fhir/Claim/${operation}", text, FHIR_JSON)
    assert response.status_code == 400
    assert outcome_issues(response)[0]["code"] == "invalid"
    assert not Case.objects.exists()


def test_it_refuses_a_nul_in_a_fhir_query_parameter(riverside: User) -> None:
    response = client_for(riverside).get("/fhir/metadata?_format=%00")
    assert response.status_code == 400
    assert outcome_issues(response)[0]["expression"] == ["_format"]


# --- pages: a small HTML page naming the field -------------------------------------------------


def test_it_refuses_a_nul_in_a_page_query_parameter(riverside: User) -> None:
    response = client_for(riverside).get("/clinic/patients/?q=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"<strong>q</strong>" in response.content
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_it_refuses_a_nul_in_a_form_field_and_escapes_the_name(riverside: User) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    data = {"member_id": "X-1", "<script>\x00": "1", "first_name": "A"}
    response = client.post("/clinic/patients/new/", data)
    assert response.status_code == 400
    assert b"<script>" not in response.content
    assert b"&lt;script&gt;\\u0000" in response.content
    assert rows() == before


def test_it_refuses_a_nul_in_a_urlencoded_form(riverside: User) -> None:
    response = client_for(riverside).post(
        "/clinic/patients/new/",
        "member_id=A%00B&first_name=A",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert b"<strong>member_id</strong>" in response.content


def test_it_refuses_a_nul_in_the_path(portal_admin: User) -> None:
    response = client_for(portal_admin).get("/admin/authtoken/tokenproxy/%00/change/")
    assert response.status_code == 400
    assert b"<strong>path</strong>" in response.content


def test_the_preview_ignores_a_patient_that_is_not_an_ascii_number(riverside: User) -> None:
    patient = make_patient(riverside)
    client = client_for(riverside)
    for value in ["\u00b2", "\u0663", "9" * 5000, "-1", str(patient.pk)]:
        response = client.post("/clinic/requests/preview/", {"patient": value})
        assert response.status_code == 200, value


# --- the auditor's date filters: a form error --------------------------------------------------

AUDIT_PAGES = ["/audit/", "/audit/metrics/"]
AUDIT_EXPORTS = ["/audit/log.csv", "/audit/metrics.csv", "/audit/decisions.csv"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_it_answers_a_date_filter_out_of_range_with_a_form_error(
    auditor: User, day: str, name: str
) -> None:
    client = client_for(auditor)
    for url in AUDIT_PAGES:
        response = client.get(url, {name: day})
        assert response.status_code == 200, url
        assert b"Enter a date from 1900-01-01 to 2200-12-31." in response.content, url
    exports = AuditLog.objects.filter(action="audit.export").count()
    for url in AUDIT_EXPORTS:
        response = client.get(url, {name: day})
        assert response.status_code == 302, url  # back to its page, which shows the error
    assert AuditLog.objects.filter(action="audit.export").count() == exports


def test_it_accepts_the_ends_of_the_date_range(auditor: User) -> None:
    response = client_for(auditor).get(
        "/audit/metrics/", {"date_from": "1900-01-01", "date_to": "2200-12-31"}
    )
    assert response.status_code == 200
    assert b"Enter a date from" not in response.content


# --- the scan itself ---------------------------------------------------------------------------


def test_it_counts_only_brackets_outside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth(r'["\"[[[[", ["\\"], [[]]]') == 3
    assert json_depth("[" * DEEP) == DEEP
    assert json_depth('"just a string"') == 0


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/fhir+json", True),
        ("application/vnd.api+json", True),
        ("application/*", True),
        ("*/*", True),
        ("text/plain", False),
        ("application/pdf", False),
        ("multipart/form-data", False),
    ],
)
def test_it_treats_as_json_what_drf_would_parse_as_json(content_type: str, expected: bool) -> None:
    assert is_json(content_type) is expected


def test_it_scans_a_json_body_sent_with_a_wildcard_content_type(riverside: User) -> None:
    text = "[" * DEEP + "]" * DEEP
    response = post_json(client_for(riverside), "/api/cases/", text, "*/*")
    assert response.status_code == 400
    assert list(response.json()) == ["body"]


# --- a field named twice in one object: every door, before any parser picks one ---------------


def _twice(body: dict[str, Any], inside: str, name: str, second: str) -> str:
    """body as JSON with a second `name` in the first object that holds `"inside"`."""
    text = json.dumps(body)
    first = f'"{name}": {json.dumps(inside)}'
    assert first in text
    return text.replace(first, f'{first}, "{name}": {json.dumps(second)}', 1)


def test_it_refuses_a_field_named_twice_in_the_api(riverside: User) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    body = create_body()
    text = _twice(body, body["patient"]["member_id"], "member_id", "SOMEONE-ELSE-1")
    response = post_json(client, "/api/cases/", text)
    assert response.status_code == 400
    assert "member_id" in response.json()["body"][0]
    assert rows() == before


@pytest.mark.parametrize("operation", ["submit", "inquire"])
def test_it_refuses_a_field_named_twice_in_a_bundle(riverside: User, operation: str) -> None:
    client = client_for(riverside)  # signing in writes its audit row
    before = rows()
    text = _twice(example("approve"), "HGX-MEM-1001", "subscriberId", "HGX-MEM-2002")
    response = post_json(client, f"/fhir/Claim/${operation}", text, FHIR_JSON)
    assert response.status_code == 400
    assert "subscriberId" in outcome_issues(response)[0]["diagnostics"]
    assert rows() == before


# --- bodies larger than any request needs ------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "riverside"])
def test_it_refuses_a_body_larger_than_a_document_before_reading_it(
    users: dict[str, User], settings: Any, who: str
) -> None:
    """Django caps the form fields it keeps in memory, never the files it spools to disk: a
    multipart body of any size was read (and written to a temporary file) before the sign-in
    or the service's size check could refuse it. Over a document's limit plus the fields' a
    request carries nothing anyone needs: 413 from its length alone."""
    settings.DOCUMENT_MAX_BYTES = 4096
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = client_for(users[who]) if who != "anonymous" else Client()
    before = rows()

    def big() -> SimpleUploadedFile:
        return SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n" + b"0" * 8192)

    response = client.post("/clinic/requests/1/documents/", {"kind": "lab_report", "file": big()})
    assert response.status_code == 413
    assert b"<strong>body</strong>" in response.content
    assert b"larger than" in response.content
    api = client.post("/api/cases/1/documents/", {"kind": "lab_report", "file": big()})
    assert api.status_code == 413
    assert list(api.json()) == ["body"]
    assert rows() == before


def test_it_lets_a_document_at_the_limit_reach_the_service(riverside: User, settings: Any) -> None:
    settings.DOCUMENT_MAX_BYTES = 4096
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    case = make_case(riverside, submit=False)
    client = client_for(riverside)
    url = f"/clinic/requests/{case.pk}/documents/"
    at_limit = SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n" + b"0" * (4096 - 9))
    assert client.post(url, {"kind": "lab_report", "file": at_limit}).status_code == 302
    assert Document.objects.filter(case=case).count() == 1
    over = SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n" + b"0" * (4096 - 8))
    refused = client.post(url, {"kind": "lab_report", "file": over}, follow=True)
    assert "larger than" in refused.content.decode()
    assert Document.objects.filter(case=case).count() == 1
