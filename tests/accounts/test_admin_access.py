"""The Django admin is the administrators' alone: its staff and superuser flags go with the
administrator role, so no other role (a clinic's staff without a second factor, an auditor who
only reads) can write through it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role, User
from audit.models import AuditLog
from tests.accounts.support import log_in
from tests.conftest import client_for


def user_form(user: User, **flags: str) -> dict[str, str]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "role": user.role,
        "organization": str(user.organization_id or ""),
        "credentials": user.credentials,
        **flags,
    }


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
@pytest.mark.parametrize("name", ["riverside", "phil", "audrey"])
def test_it_refuses_the_admins_flags_for_anyone_but_an_administrator(
    users: dict[str, User], portal_admin: User, name: str, flag: str
) -> None:
    user = users[name]
    change = reverse("admin:accounts_user_change", args=[user.pk])

    response = client_for(portal_admin).post(change, user_form(user, **{flag: "on"}))

    assert response.status_code == 200
    assert "Only administrators may use the Django admin" in response.text
    user.refresh_from_db()
    assert not (user.is_staff or user.is_superuser)
    assert not AuditLog.objects.filter(action="user.change").exists()
    assert not AuditLog.objects.filter(action="user.access", detail__operation="update").exists()


def test_postgresql_refuses_a_clinic_superuser_made_past_the_admin(riverside: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=riverside.pk).update(is_staff=True, is_superuser=True)


def test_it_still_lets_an_administrator_be_a_superuser(portal_admin: User) -> None:
    assert portal_admin.is_superuser and portal_admin.role == Role.ADMIN
    assert client_for(portal_admin).get(reverse("admin:index")).status_code == 200


def test_a_clinic_user_refused_the_flags_does_not_reach_the_admin_with_a_password(
    riverside: User, portal_admin: User
) -> None:
    change = reverse("admin:accounts_user_change", args=[riverside.pk])
    client_for(portal_admin).post(change, user_form(riverside, is_staff="on", is_superuser="on"))
    assert log_in("riverside").get(reverse("admin:index")).status_code == 302
