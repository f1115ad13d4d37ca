"""A number read from a request with str.isdigit() then int() fails on "²" (a digit to isdigit,
not to int) and on 5,000 digits (past int()'s limit): every such place answers without a 500
(issue 14)."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.conftest import client_for

NOT_INTS = ["\u00b2", "\u0663", "\uff11", "9" * 5000, "9" * 30]


@pytest.mark.parametrize("value", NOT_INTS)
def test_the_public_report_falls_back_to_last_year(auditor: User, value: str) -> None:
    client = client_for(auditor)
    for url in ["/audit/public-report/", "/audit/public-report.csv"]:
        assert client.get(url, {"year": value}).status_code == 200, url


@pytest.mark.parametrize("value", NOT_INTS)
def test_marking_a_notification_read_ignores_an_id_that_is_no_number(
    riverside: User, pharmacist: User, value: str
) -> None:
    for user in (riverside, pharmacist):
        response = client_for(user).post("/notifications/read/", {"id": value})
        assert response.status_code == 302


@pytest.mark.parametrize("value", NOT_INTS)
def test_the_checklist_preview_ignores_a_patient_that_is_no_number(
    riverside: User, value: str
) -> None:
    response = client_for(riverside).post("/clinic/requests/preview/", {"patient": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", NOT_INTS)
def test_the_api_answers_any_page_without_a_500(riverside: User, value: str) -> None:
    # int() reads "\uff11" (full-width 1) as 1: that one is page 1.
    assert client_for(riverside).get("/api/cases/", {"page": value}).status_code in (200, 400, 404)


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000])
def test_revoking_an_api_token_ignores_a_token_that_is_no_number(
    riverside: User, value: str
) -> None:
    response = client_for(riverside).post(
        "/accounts/security/", {"action": "revoke", "token": value}
    )
    assert response.status_code == 302
