"""Logins, logouts and failed logins each write one audit row; a password never does."""

from django.db.models import Max
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from tests.conftest import PASSWORD

BROWSER = "Mozilla/5.0 (audit test)"


def rows_after(last: int | None) -> list[AuditLog]:
    return list(AuditLog.objects.filter(id__gt=last or 0).order_by("id"))


def last_id() -> int | None:
    return AuditLog.objects.aggregate(last=Max("id"))["last"]


def test_it_records_a_login_with_the_user(pharmacist: User) -> None:
    before = last_id()
    response = Client().post(reverse("login"), {"username": "phil", "password": PASSWORD})
    assert response.status_code == 302
    rows = rows_after(before)
    assert [(r.action, r.actor, r.actor_role) for r in rows] == [
        ("auth.login", pharmacist, "pharmacist")
    ]


def test_it_records_a_failed_login_without_actor_or_password(pharmacist: User) -> None:
    before = last_id()
    wrong = "not-the-password-123"
    response = Client(headers={"user-agent": BROWSER}).post(
        reverse("login"), {"username": "phil", "password": wrong}
    )
    assert response.status_code == 200  # the form again, with its error
    rows = rows_after(before)
    assert [r.action for r in rows] == ["auth.login_failed"]
    row = rows[0]
    assert row.actor is None and row.actor_username == ""
    assert row.actor_role == "anonymous"
    assert row.detail == {"username": "phil"}
    assert (row.ip, row.user_agent) == ("127.0.0.1", BROWSER)
    stored = AuditLog.objects.filter(pk=row.pk).values_list("detail", flat=True).get()
    assert wrong not in str(stored) and "password" not in str(stored)


def test_it_records_a_failed_login_for_an_unknown_username(db: None) -> None:
    before = last_id()
    Client().post(reverse("login"), {"username": "mallory", "password": "guess-guess-guess"})
    assert [(r.action, r.detail) for r in rows_after(before)] == [
        ("auth.login_failed", {"username": "mallory"})
    ]


def test_it_records_a_logout_with_the_user(auditor: User) -> None:
    client = Client()
    client.force_login(auditor)
    before = last_id()
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert [(r.action, r.actor) for r in rows_after(before)] == [("auth.logout", auditor)]


def test_it_records_nothing_for_a_logout_without_a_session(db: None) -> None:
    before = last_id()
    Client().post(reverse("logout"))
    assert rows_after(before) == []


def test_it_records_an_attempt_refused_by_the_lockout_as_a_failed_login(
    pharmacist: User,
) -> None:
    client = Client()
    statuses = [
        client.post(
            reverse("login"), {"username": "phil", "password": "wrong-password-9"}
        ).status_code
        for _ in range(10)
    ]
    assert 429 in statuses  # locked out somewhere along the way
    before = last_id()
    locked = client.post(reverse("login"), {"username": "phil", "password": PASSWORD})
    assert locked.status_code == 429
    assert [(r.action, r.actor) for r in rows_after(before)] == [("auth.login_failed", None)]
    assert AuditLog.objects.filter(action="auth.login_failed").count() == 11
    assert not AuditLog.objects.filter(action="auth.login").exists()
