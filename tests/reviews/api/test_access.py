import pytest
from rest_framework.test import APIClient

from accounts.models import User
from reviews.models import Case, Patient, Status
from tests.conftest import client_for
from tests.factories import make_case, make_patient

from .conftest import api_for, new_request

# Every endpoint about one case, with a body that would change it if it were allowed.
CASE_ENDPOINTS = [
    ("get", "/api/cases/{pk}/", None),
    ("post", "/api/cases/{pk}/submit/", {}),
    (
        "post",
        "/api/cases/{pk}/answer/",
        {"facts": {"hiv_status": "positive_uncontrolled"}, "note": "x"},
    ),
    ("post", "/api/cases/{pk}/withdraw/", {"reason": "x"}),
    ("post", "/api/cases/{pk}/documents/", {"kind": "lab_report"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CASE_ENDPOINTS)
def test_it_hides_another_clinics_case_on_every_endpoint(
    riverside: User, lakeside: User, method: str, path: str, body: dict | None
) -> None:
    case = make_case(riverside, submit=False)
    response = getattr(api_for(lakeside), method)(path.format(pk=case.pk), body, format="json")
    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.facts["hiv_status"]) == (Status.DRAFT, "negative")


def test_it_never_reuses_another_clinics_patient(riverside: User, lakeside: User) -> None:
    theirs = make_patient(lakeside, member_id="FEP-1001")
    response = api_for(riverside).post("/api/cases/", new_request(), format="json")
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.patient != theirs
    assert case.patient.organization == riverside.organization
    assert Patient.objects.filter(member_id="FEP-1001").count() == 2
    listed = api_for(lakeside).get("/api/cases/").json()
    assert listed["count"] == 0


@pytest.mark.parametrize(("method", "path"), [("get", "/api/cases/"), ("post", "/api/cases/")])
def test_it_refuses_payer_staff_by_token_and_by_session(
    pharmacist: User, auditor: User, method: str, path: str
) -> None:
    for client in (api_for(pharmacist), api_for(auditor)):
        assert getattr(client, method)(path, new_request(), format="json").status_code == 403
    session = client_for(pharmacist)
    response = getattr(session, method)(path, new_request(), content_type="application/json")
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_it_refuses_payer_staff_on_case_endpoints(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside)
    for method, path, body in CASE_ENDPOINTS:
        response = getattr(api_for(pharmacist), method)(
            path.format(pk=case.pk), body, format="json"
        )
        assert response.status_code == 403, path


def test_it_asks_anonymous_callers_to_authenticate(riverside: User) -> None:
    case = make_case(riverside)
    client = APIClient()
    assert client.get("/api/cases/").status_code == 401
    assert client.get(f"/api/cases/{case.pk}/").status_code == 401
    assert client.post("/api/cases/", new_request(), format="json").status_code == 401


def test_it_takes_a_browser_session_too(riverside: User) -> None:
    make_case(riverside)
    response = client_for(riverside).get("/api/cases/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_publishes_the_openapi_schema(riverside: User) -> None:
    response = api_for(riverside).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert {
        "/api/cases/",
        "/api/cases/{id}/",
        "/api/cases/{id}/submit/",
        "/api/cases/{id}/answer/",
        "/api/cases/{id}/withdraw/",
        "/api/cases/{id}/documents/",
    } <= set(schema["paths"])
    create = schema["paths"]["/api/cases/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
