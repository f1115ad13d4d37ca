"""Every change to who a user is allowed to be (role, clinic, active, staff, superuser) leaves an
audit row written by PostgreSQL itself (accounts migration 0006), whoever makes it: the
administrators' pages, or the application's database role past them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import errors

from accounts.models import Role, User
from audit.chain import verify
from audit.models import AuditLog
from tests.audit.test_roles import app_connection
from tests.conftest import client_for

ACCESS = ("role", "organization_id", "is_active", "is_staff", "is_superuser")


@pytest.fixture
def app() -> Iterator[psycopg.Connection]:
    with app_connection() as conn:
        yield conn


def access_rows(user: User, operation: str = "update") -> list[AuditLog]:
    """The database's rows of user's access, in the chain's order (one operation's, or all)."""
    rows = AuditLog.objects.filter(action="user.access", object_id=str(user.pk))
    if operation:
        rows = rows.filter(detail__operation=operation)
    return list(rows.order_by("chain_seq"))


def access(user: User) -> dict[str, Any]:
    user.refresh_from_db()
    return {name: getattr(user, name) for name in ACCESS}


@pytest.mark.django_db(transaction=True)
def test_it_audits_a_promotion_made_past_the_portal(
    app: psycopg.Connection, pharmacist: User
) -> None:
    """The attack the audit named: the application's role makes a pharmacist a medical director
    with one UPDATE. It still can; now the log says so, and who (the database role)."""
    before = access(pharmacist)
    app.execute("UPDATE accounts_user SET role = 'medical_director' WHERE id = %s", [pharmacist.pk])

    (row,) = access_rows(pharmacist)
    assert row.actor_username == "pa_app" and row.actor_role == "database"
    assert row.detail["operation"] == "update"
    assert row.detail["username"] == pharmacist.username
    assert row.detail["before"] == {**before, "organization_id": None}
    assert row.detail["after"] == {**before, "role": "medical_director", "organization_id": None}
    assert row.detail["claimed_by"] is None  # nobody named: made past the portal's pages
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_it_writes_whom_the_application_names_as_its_word_for_that_transaction_only(
    app: psycopg.Connection, pharmacist: User
) -> None:
    """accounts 0007: the row carries the person the application names for its transaction
    (audit.log.claim_actor), beside the database role, which stays the one the database knows;
    the name is the application's word (here it names someone who does not exist) and ends with
    its transaction."""
    with app.transaction():
        app.execute("SELECT set_config('pa.actor', 'nobody-at-all', true)")
        app.execute("UPDATE accounts_user SET role = 'auditor' WHERE id = %s", [pharmacist.pk])
    app.execute("UPDATE accounts_user SET role = 'pharmacist' WHERE id = %s", [pharmacist.pk])

    claimed, after_it = access_rows(pharmacist)
    assert (claimed.actor_username, claimed.detail["claimed_by"]) == ("pa_app", "nobody-at-all")
    assert (after_it.actor_username, after_it.detail["claimed_by"]) == ("pa_app", None)


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_silence_it(
    app: psycopg.Connection, portal_admin: User
) -> None:
    for statement in (
        "ALTER TABLE accounts_user DISABLE TRIGGER accounts_user_access_audit_changes",
        "ALTER TABLE accounts_user DISABLE TRIGGER ALL",
        "DROP TRIGGER accounts_user_access_audit_changes ON accounts_user",
        "DROP FUNCTION accounts_user_access_audit() CASCADE",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            app.execute(statement)
    with pytest.raises(errors.InsufficientPrivilege):
        app.execute("SET session_replication_role = replica")
    # (Only an administrator may hold the flag, accounts 0009.)
    app.execute("UPDATE accounts_user SET is_superuser = false WHERE id = %s", [portal_admin.pk])
    assert [r.detail["after"]["is_superuser"] for r in access_rows(portal_admin)] == [False]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    change=st.fixed_dictionaries(
        {},
        optional={
            "role": st.sampled_from([r.value for r in Role]),
            "is_active": st.booleans(),
            "is_staff": st.booleans(),
            "is_superuser": st.booleans(),
            "organization": st.sampled_from(["riverside", "lakeside"]),
        },
    )
)
def test_it_writes_one_row_exactly_when_access_changes(
    riverside: User, lakeside: User, change: dict[str, Any]
) -> None:
    """Whatever mix of the five is changed (or none, or to the same value), one row with the
    values before and after when any differs, none otherwise. (The users fixture is read only;
    payer staff have no clinic, as a CHECK constraint says.)"""
    clinics = {"riverside": riverside.organization, "lakeside": lakeside.organization}
    user = User.objects.create_user(
        username=f"u{User.objects.count()}",
        password="x" * 20,
        role=Role.PRESCRIBER,
        organization=clinics["riverside"],
    )
    assert [r.detail["operation"] for r in access_rows(user, "")] == ["insert"]
    before = access(user)
    for name, value in change.items():
        setattr(user, name, clinics[value] if name == "organization" else value)
    if user.role != Role.PRESCRIBER:
        user.organization = None
    user.last_login = timezone.now()  # a sign-in's write, never audited by itself
    changes = {"last_login": user.last_login, **{n: getattr(user, n) for n in ACCESS}}
    if user.role != Role.ADMIN and (user.is_staff or user.is_superuser):
        # The admin's flags on another role are refused (accounts 0009), and leave no row.
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=user.pk).update(**changes)
    else:
        User.objects.filter(pk=user.pk).update(**changes)
    after = access(user)
    rows = access_rows(user)
    if after == before:
        assert rows == []
    else:
        (row,) = rows
        assert (row.detail["before"], row.detail["after"]) == (before, after)


@pytest.mark.django_db
def test_a_sign_in_writes_no_access_row(pharmacist: User) -> None:
    count = AuditLog.objects.filter(action="user.access").count()
    client_for(pharmacist)  # signs in: last_login and the session
    User.objects.filter(pk=pharmacist.pk).update(last_login=timezone.now(), first_name="Pat")
    assert AuditLog.objects.filter(action="user.access").count() == count
