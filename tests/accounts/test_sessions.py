"""The idle timeout: a session ends 14 to 15 idle minutes after its last request, and is not
written to the database on every request (accounts/sessions.py)."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.sessions import REFRESHED_AT
from accounts.tokens import issue_token
from tests.conftest import client_for
from tests.factories import make_case

LOGIN = reverse(settings.LOGIN_URL)


def _row(client: object) -> Session:
    return Session.objects.get(session_key=client.session.session_key)  # type: ignore[attr-defined]


def test_it_ends_sessions_at_browser_close_and_after_15_idle_minutes() -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_REFRESH_SECONDS == 60


def test_it_does_not_write_the_session_on_every_request(riverside: User) -> None:
    client = client_for(riverside)
    client.get("/clinic/")  # the first page after sign-in starts the refresh clock
    expires = _row(client).expire_date

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/clinic/").status_code == 200

    assert not [
        q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert _row(client).expire_date == expires


def test_it_moves_the_idle_deadline_once_a_minute_of_activity(riverside: User) -> None:
    client = client_for(riverside)
    client.get("/clinic/")
    session = client.session
    session[REFRESHED_AT] = time.time() - settings.SESSION_REFRESH_SECONDS  # a minute ago
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=14)
    )

    assert client.get("/clinic/").status_code == 200

    remaining = _row(client).expire_date - timezone.now()
    assert timedelta(minutes=14, seconds=50) < remaining <= timedelta(minutes=15)


def test_it_signs_out_a_session_idle_past_its_deadline(riverside: User) -> None:
    client = client_for(riverside)
    client.get("/clinic/")
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/clinic/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_does_not_bring_back_a_session_after_sign_out(riverside: User) -> None:
    client = client_for(riverside)
    client.get("/clinic/")
    key = client.session.session_key

    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    response = client.get("/clinic/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_gives_no_session_to_an_api_client_signed_in_by_token(riverside: User) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(riverside, 'test')[1]}")

    assert client.get("/api/cases/").status_code == 200

    assert not Session.objects.exists()
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_it_signs_a_user_out_everywhere_when_moved_to_another_clinic_or_role(
    riverside: User, lakeside: User
) -> None:
    """A session follows the account's clinic and role as it follows its password: moved by an
    administrator, the user signs in again, into the new clinic only (audit of 2026-11-26)."""
    theirs = make_case(lakeside)
    browser = client_for(riverside)
    assert browser.get(reverse("prescriber:case_list")).status_code == 200

    riverside.organization = lakeside.organization
    riverside.save(update_fields=["organization"])

    page = browser.get(reverse("prescriber:case_detail", args=[theirs.pk]))
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    again = client_for(User.objects.get(pk=riverside.pk))
    assert again.get(reverse("prescriber:case_detail", args=[theirs.pk])).status_code == 200

    pharmacist = client_for(User.objects.get(pk=riverside.pk))
    User.objects.filter(pk=riverside.pk).update(role=Role.PHARMACIST, organization=None)
    assert pharmacist.get(reverse("prescriber:case_list")).status_code == 302
