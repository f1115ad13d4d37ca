"""A body the API cannot read for its media type: 415, as the schema says, and nothing changed.

schemathesis found the gap (a POST of bytes with no Content-Type answered 415, which the schema
did not list); this holds it for every operation that reads a body, not only the one it drew.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from reviews.models import Case, Status
from tests.reviews.api.conftest import api_for, new_request

pytestmark = pytest.mark.django_db

UNREADABLE = [("", '{"patient": 1}'), ("text/plain", "patient=1"), ("application/xml", "<a/>")]


def _documented(client: APIClient) -> dict[tuple[str, str], set[str]]:
    """Each operation that takes a body, with the statuses the schema lists for it."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return {
        (path, method): set(operation["responses"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }


def test_it_documents_415_for_every_operation_that_reads_a_body(riverside: User) -> None:
    operations = _documented(api_for(riverside))
    assert ("/api/cases/", "post") in operations
    assert {op for op, statuses in operations.items() if "415" not in statuses} == set()


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE)
def test_it_refuses_an_unreadable_request_with_415_and_files_nothing(
    riverside: User, content_type: str, body: str
) -> None:
    client = api_for(riverside)
    before = Case.objects.count()
    response = client.generic(
        "POST", "/api/cases/", body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k-415"
    )
    assert response.status_code == 415
    assert "media type" in response.json()["detail"]
    assert Case.objects.count() == before


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE)
def test_it_refuses_an_unreadable_withdrawal_with_415_and_keeps_the_request(
    riverside: User, content_type: str, body: str
) -> None:
    client = api_for(riverside)
    created = client.post("/api/cases/", new_request(), format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    response = client.generic("POST", f"/api/cases/{pk}/withdraw/", body, content_type=content_type)
    assert response.status_code == 415
    assert Case.objects.get(pk=pk).status == Status.SUBMITTED


def test_it_refuses_an_unreadable_sign_in_with_415() -> None:
    response = APIClient().generic("POST", "/api/auth/token/", "x", content_type="")
    assert response.status_code == 415
