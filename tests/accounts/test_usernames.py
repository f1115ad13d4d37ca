"""Usernames that read the same are one: the audit log names people by username, so no two
accounts may differ only in case, width, accents or look-alike letters of another script."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, User
from accounts.spelling import username_key
from audit.models import AuditLog
from tests.conftest import PASSWORD, client_for
from tests.spellings import full_width

# Each letter of "phil" as it may be typed or pasted: capital, full-width, accented, or a letter
# of another script that looks like it (Cyrillic er, shha, Byelorussian-Ukrainian i; Greek rho;
# Turkish dotless i).
LETTERS = {
    "p": ["p", "P", full_width("p"), "\u0440", "\u0420", "\u03c1"],
    "h": ["h", "H", full_width("H"), "\u04bb"],
    "i": ["i", "I", full_width("i"), "\u0456", "\u0131", "\u00ed"],
    "l": ["l", "L", full_width("l")],
}
PHIL_ALIKE = st.tuples(*(st.sampled_from(LETTERS[c]) for c in "phil")).map("".join)
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def user_form(username: str) -> dict[str, str]:
    return {
        "username": username,
        "first_name": "Dana",
        "last_name": "Dorsey",
        "email": "dana@example.org",
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "role": Role.MEDICAL_DIRECTOR,
        "organization": "",
        "credentials": "MD, Hematology",
    }


@EXAMPLES
@given(spelling=PHIL_ALIKE.filter(lambda s: s != "phil"))
def test_it_refuses_to_rename_a_user_to_a_name_that_reads_as_another_users(
    pharmacist: User, director: User, portal_admin: User, spelling: str
) -> None:
    assert username_key(spelling) == username_key(pharmacist.username)
    change = reverse("admin:accounts_user_change", args=[director.pk])

    response = client_for(portal_admin).post(change, user_form(spelling))

    assert response.status_code == 200
    assert "reads the same as phil" in response.text
    director.refresh_from_db()
    assert director.username == "dana"
    assert not AuditLog.objects.filter(action="user.change").exists()


@EXAMPLES
@given(spelling=PHIL_ALIKE.filter(lambda s: s != "phil"))
def test_it_refuses_to_add_a_user_whose_name_reads_as_another_users(
    pharmacist: User, portal_admin: User, spelling: str
) -> None:
    form = {"username": spelling, "password1": PASSWORD, "password2": PASSWORD,
            "usable_password": "true", "role": Role.PHARMACIST, "organization": ""}  # fmt: skip

    response = client_for(portal_admin).post(reverse("admin:accounts_user_add"), form)

    assert response.status_code == 200
    assert list(User.objects.filter(role=Role.PHARMACIST).values_list("username", flat=True)) == [
        "phil"
    ]
    assert not AuditLog.objects.filter(action="user.add").exists()


@pytest.mark.parametrize("other", ["phil2", "p.hil", "philip"])
def test_it_still_lets_an_administrator_rename_a_user_to_a_distinct_name(
    pharmacist: User, director: User, portal_admin: User, other: str
) -> None:
    change = reverse("admin:accounts_user_change", args=[director.pk])
    response = client_for(portal_admin).post(change, user_form(other))
    assert response.status_code == 302
    director.refresh_from_db()
    assert (director.username, director.username_key) == (other, other)


def test_postgresql_refuses_a_second_user_whose_name_reads_the_same(pharmacist: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("\u0420hil", role=Role.AUDITOR)  # Cyrillic capital Er


def test_it_keeps_the_key_with_a_username_saved_alone(director: User) -> None:
    director.username = "Dana.D"
    director.save(update_fields=["username"])
    director.refresh_from_db()
    assert director.username_key == "dana.d"


def migrate(target: tuple[str, str] | None) -> None:
    """To target, or (None) forward to every app's latest."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_keys_and_names_existing_users_that_read_the_same() -> None:
    migrate(("accounts", "0007_user_access_claimed_by"))
    try:
        with connection.cursor() as cursor:
            for name in ("phil", "Phil", "audrey"):
                cursor.execute(
                    "INSERT INTO accounts_user (password, is_superuser, username, first_name, "
                    "last_name, email, is_staff, is_active, date_joined, role, credentials) "
                    "VALUES ('', false, %s, '', '', '', false, true, now(), 'auditor', '')",
                    [name],
                )
        with pytest.raises(RuntimeError, match="rename all but one of each: Phil, phil"):
            migrate(("accounts", "0008_username_key"))
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_user SET username = 'phil.2' WHERE username = 'Phil'")
    finally:
        migrate(None)
    keys = dict(User.objects.values_list("username", "username_key"))
    assert keys == {"phil": "phil", "phil.2": "phil.2", "audrey": "audrey"}
