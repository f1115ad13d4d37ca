"""API tokens (issue 15, accounts/tokens.py): stored only as a hash, expiring, revocable per
device, revoked at sign-out; the old clear-text tokens table is gone."""

import importlib
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from pytest_django.fixtures import Settings
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts.models import ApiToken, Role, User
from accounts.tokens import ApiTokenAuthentication, issue_token
from audit.models import AuditLog
from tests.conftest import PASSWORD, client_for
from tests.factories import make_case
from tests.spellings import full_width


def with_token(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def tables_containing(text: str) -> list[str]:
    """Every table of the database with a row whose text contains text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(
                f'SELECT 1 FROM "{table}" AS t WHERE row_to_json(t)::text LIKE %s LIMIT 1',  # noqa: S608
                [f"%{text}%"],
            )
            if cursor.fetchone():
                found.append(table)
    return found


def test_it_stores_only_a_hash_of_the_token(riverside: User) -> None:
    page = client_for(riverside).post("/accounts/security/", {"action": "create", "name": "EHR"})
    raw = page.context["new_token"]
    assert raw.startswith("pa_") and raw in page.text  # shown this once

    assert tables_containing(raw) == []
    assert tables_containing(raw[12:40]) == []  # not even the part after the visible prefix
    assert with_token(raw).get("/api/cases/").status_code == 200
    assert "pa_" + ApiToken.objects.get().prefix in raw
    assert raw not in client_for(riverside).get("/accounts/security/").text  # never again
    assert AuditLog.objects.filter(action="api_token.issued", actor=riverside).exists()


def test_it_refuses_an_expired_token(riverside: User) -> None:
    token, raw = issue_token(riverside, "EHR")
    assert with_token(raw).get("/api/cases/").status_code == 200
    assert abs(token.expires_at - timezone.now() - timedelta(days=30)) < timedelta(minutes=1)

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    response = with_token(raw).get("/api/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_an_unknown_token_and_the_token_of_a_deactivated_user(riverside: User) -> None:
    _, raw = issue_token(riverside, "EHR")
    assert with_token(raw + "x").get("/api/cases/").status_code == 401
    User.objects.filter(pk=riverside.pk).update(is_active=False)
    assert with_token(raw).get("/api/cases/").status_code == 401


def test_it_signs_a_device_in_and_out_and_revokes_only_that_devices_token(
    riverside: User,
) -> None:
    tokens = {}
    for device in ("EHR server", "laptop"):
        response = APIClient().post(
            "/api/auth/token/",
            {"username": "riverside", "password": PASSWORD, "device": device},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["device"] == device
        tokens[device] = response.json()["token"]

    assert with_token(tokens["laptop"]).post("/api/auth/sign-out/").status_code == 204

    assert with_token(tokens["laptop"]).get("/api/cases/").status_code == 401
    assert with_token(tokens["EHR server"]).get("/api/cases/").status_code == 200
    revoked = ApiToken.objects.get(name="laptop")
    assert revoked.revoked_at is not None  # kept, with when, not deleted
    assert AuditLog.objects.filter(action="api_token.revoked", detail__why="signed out").exists()


def test_it_refuses_api_sign_in_with_a_wrong_password_or_for_payer_staff(
    riverside: User, pharmacist: User
) -> None:
    wrong = APIClient().post(
        "/api/auth/token/",
        {"username": "riverside", "password": "nope-nope-nope", "device": "x"},
        format="json",
    )
    payer = APIClient().post(
        "/api/auth/token/",
        {"username": "phil", "password": PASSWORD, "device": "x"},
        format="json",
    )
    assert (wrong.status_code, payer.status_code) == (400, 403)
    assert not ApiToken.objects.exists()


def test_it_locks_api_sign_in_like_the_portal(riverside: User) -> None:
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    body = {"username": "riverside", "password": "wrong-password", "device": "x"}
    statuses = [client.post("/api/auth/token/", body, format="json").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    right = client.post("/api/auth/token/", {**body, "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert right.json()["detail"].startswith("Too many failed sign-in attempts")


def test_it_lets_the_owner_revoke_one_device_or_all_from_the_account_page(
    riverside: User, lakeside: User
) -> None:
    ehr, ehr_raw = issue_token(riverside, "EHR")
    _, laptop_raw = issue_token(riverside, "laptop")
    theirs, theirs_raw = issue_token(lakeside, "Lakeside EHR")
    owner = client_for(riverside)

    owner.post("/accounts/security/", {"action": "revoke", "token": ehr.pk})
    owner.post("/accounts/security/", {"action": "revoke", "token": theirs.pk})  # not theirs

    assert with_token(ehr_raw).get("/api/cases/").status_code == 401
    assert with_token(laptop_raw).get("/api/cases/").status_code == 200
    assert with_token(theirs_raw).get("/api/cases/").status_code == 200
    owner.post("/accounts/security/", {"action": "revoke_all"})
    assert with_token(laptop_raw).get("/api/cases/").status_code == 401
    assert with_token(theirs_raw).get("/api/cases/").status_code == 200


def test_it_gives_api_tokens_to_clinic_staff_only(pharmacist: User) -> None:
    client = client_for(pharmacist)
    assert "API tokens" not in client.get("/accounts/security/").text
    assert client.post("/accounts/security/", {"action": "create", "name": "x"}).status_code == 403


def test_it_has_dropped_the_clear_text_token_table(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone() == (None,)


def test_it_moves_old_clear_text_tokens_to_hashes_and_drops_their_table(riverside: User) -> None:
    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0003_hash_drf_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        # The table as 0003 knew it: a token's role came in 0004, its CHECK in 0008 (this
        # test's transaction rolls the drop back).
        cursor.execute("ALTER TABLE accounts_apitoken DROP CONSTRAINT api_token_role_valid")
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz,"
            " user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old_key, riverside.pk]
        )
    with connection.schema_editor() as editor:
        migration.hash_and_drop(apps, editor)
    # migrate goes on to 0004, which gives the moved tokens their user's clinic and role.
    backfill = importlib.import_module("accounts.migrations.0004_api_token_clinic_and_role")
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)

    assert tables_containing(old_key) == []
    assert with_token(old_key).get("/api/cases/").status_code == 200  # keeps working for now
    assert ApiToken.objects.get().expires_at < timezone.now() + timedelta(days=31)


def test_it_finds_the_token_in_one_query_and_records_its_use_once_a_minute(
    riverside: User,
) -> None:
    token, raw = issue_token(riverside, "EHR")
    request = APIRequestFactory().get("/api/cases/", HTTP_AUTHORIZATION=f"Token {raw}")

    with CaptureQueriesContext(connection) as queries:
        user, auth = ApiTokenAuthentication().authenticate(Request(request))  # type: ignore[misc]
    assert len(queries) == 1
    assert (user, auth.pk, auth.name) == (riverside, token.pk, "EHR")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    ApiTokenAuthentication().authenticate(Request(request))
    token.refresh_from_db()
    assert token.last_used_at == first_use  # not again within the minute


def test_it_refuses_a_token_once_its_user_has_moved_to_another_clinic_or_role(
    riverside: User, lakeside: User
) -> None:
    """A device issued for Riverside must not read Lakeside's cases after an administrator moves
    its user (audit of 2026-11-26); the token answers again only if the user is moved back."""
    theirs = make_case(lakeside)
    _, raw = issue_token(riverside, "Riverside EHR")
    client = with_token(raw)
    assert client.get("/api/cases/").status_code == 200
    home = riverside.organization

    riverside.organization = lakeside.organization
    riverside.save(update_fields=["organization"])
    assert client.get(f"/api/cases/{theirs.pk}/").status_code == 401
    assert client.get("/api/cases/").status_code == 401

    User.objects.filter(pk=riverside.pk).update(role=Role.PHARMACIST, organization=None)
    assert client.get("/api/cases/").status_code == 401

    User.objects.filter(pk=riverside.pk).update(role=Role.PRESCRIBER, organization=home)
    assert client.get("/api/cases/").status_code == 200
    assert client.get(f"/api/cases/{theirs.pk}/").status_code == 404


def test_it_ends_a_users_tokens_when_an_administrator_sets_a_new_password(
    riverside: User, lakeside: User, portal_admin: User
) -> None:
    """A stolen clinic password is worth a 30-day token: the new password ends it too, as it
    ends every session."""
    _, stolen = issue_token(riverside, "attacker's laptop")
    _, other = issue_token(lakeside, "EHR")
    url = reverse("admin:auth_user_password_change", args=[riverside.pk])
    secret = "a-brand-new-passphrase-77"

    response = client_for(portal_admin).post(
        url, {"password1": secret, "password2": secret, "usable_password": "true"}
    )

    assert response.status_code == 302
    assert with_token(stolen).get("/api/cases/").status_code == 401
    assert with_token(other).get("/api/cases/").status_code == 200
    revoked = AuditLog.objects.get(action="api_token.revoked")
    assert revoked.detail == {"user": "riverside", "device": "attacker's laptop",
                              "why": "password changed"}  # fmt: skip


def test_it_ends_a_users_tokens_when_an_administrator_disables_their_password(
    riverside: User, portal_admin: User
) -> None:
    """The admin's "password-based authentication: disabled" ends the account's password
    sign-in and its sessions; its tokens, got with that password, end with them."""
    _, raw = issue_token(riverside, "EHR")
    url = reverse("admin:auth_user_password_change", args=[riverside.pk])

    response = client_for(portal_admin).post(
        url, {"usable_password": "false", "unset-password": "Disable password-based authentication"}
    )

    assert response.status_code == 302
    riverside.refresh_from_db()
    assert not riverside.has_usable_password()
    assert with_token(raw).get("/api/cases/").status_code == 401


def test_it_keeps_the_tokens_when_a_sign_in_only_rehashes_the_same_password(
    riverside: User, settings: Settings
) -> None:
    _, raw = issue_token(riverside, "EHR")
    settings.PASSWORD_HASHERS = [  # a stronger hasher first: the next sign-in rehashes
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    before = User.objects.get(pk=riverside.pk).password

    assert Client().post("/accounts/login/", {"username": "riverside", "password": PASSWORD})[
        "Location"
    ]

    assert User.objects.get(pk=riverside.pk).password != before  # rehashed, same password
    assert with_token(raw).get("/api/cases/").status_code == 200


@st.composite
def typed(draw: st.DrawFn, username: str) -> str:
    """username as a keyboard or a paste may give it: some letters full-width, padded."""
    letters = "".join(full_width(c) if draw(st.booleans()) else c for c in username)
    pad = st.sampled_from(["", " ", "\u3000", "\u00a0"])
    return draw(pad) + letters + draw(pad)


@examples(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spelling=typed("riverside"))
def test_it_reads_a_username_at_api_sign_in_as_the_portals_login_does(
    riverside: User, spelling: str
) -> None:
    """Full-width letters and surrounding spaces: the portal's login (Django's UsernameField)
    reads them as the username; the API's sign-in does too."""
    portal = Client().post("/accounts/login/", {"username": spelling, "password": PASSWORD})
    api = APIClient().post(
        "/api/auth/token/",
        {"username": spelling, "password": PASSWORD, "device": "x"},
        format="json",
    )
    assert (portal.status_code, api.status_code) == (302, 201)


def test_it_counts_failures_at_api_sign_in_for_the_username_however_typed(
    riverside: User,
) -> None:
    """Five failures at one address lock the username there, whichever way each was typed."""
    client = APIClient(REMOTE_ADDR="203.0.113.78")
    spellings = ["riverside", full_width("riverside"), " riverside", full_width("river") + "side",
             "riverside\u3000"]  # fmt: skip
    statuses = [
        client.post(
            "/api/auth/token/",
            {"username": spelling, "password": "wrong-password", "device": "x"},
            format="json",
        ).status_code
        for spelling in spellings
    ]
    assert statuses == [400, 400, 400, 400, 429]
    right = {"username": "riverside", "password": PASSWORD, "device": "x"}
    assert client.post("/api/auth/token/", right, format="json").status_code == 429
