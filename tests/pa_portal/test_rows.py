"""pa_portal/rows.py: the per-request reads written once give what the ORM gives, and the session,
user and second factor read through them keep Django's and django_otp's rules."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import SessionUserBackend
from accounts.models import User
from pa_portal import rows
from reviews.models import Case, PolicySetting
from tests.conftest import client_for, totp_device_for
from tests.factories import approvable_facts, make_case

pytestmark = pytest.mark.django_db


def _values(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _same_as_orm(obj: Model) -> None:
    model = type(obj)
    read = rows.read_one(model, '"id" = %s', [obj.pk])
    orm = model._default_manager.get(pk=obj.pk)
    assert read is not None
    assert _values(read) == _values(orm)
    assert (read._state.adding, read._state.db) == (False, "default")


def test_it_reads_every_column_as_the_orm_does(pharmacist: User) -> None:
    device = totp_device_for(pharmacist)
    policy, _ = PolicySetting.objects.get_or_create(pk=1)
    for obj in (pharmacist, device, policy):
        _same_as_orm(obj)


def test_it_converts_values_as_the_orm_does(riverside: User) -> None:
    # A JSON column needs Django's converter (JSONField.from_db_value): a dict, not text.
    case = make_case(riverside, facts=approvable_facts())
    read = rows.read_one(Case, '"id" = %s', [case.pk])
    assert read is not None
    assert isinstance(read.facts, dict)
    assert _values(read) == _values(Case.objects.get(pk=case.pk))


def test_it_gives_none_for_no_row_and_refuses_two(riverside: User, lakeside: User) -> None:
    assert rows.read_one(User, '"id" = %s', [-1]) is None
    with pytest.raises(User.MultipleObjectsReturned):
        rows.read_one(User, '"id" IN (%s, %s)', [riverside.pk, lakeside.pk])


def test_it_reads_a_signed_in_page_in_one_statement_each(pharmacist: User) -> None:
    client = client_for(pharmacist)
    client.get("/review/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/review/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    for table in ("django_session", "accounts_user", "otp_totp_totpdevice"):
        reads = [s for s in sql if s.startswith("SELECT") and f"FROM {table}" in s.replace('"', "")]
        assert len(reads) == 1, (table, reads)


def _session_of(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_it_forgets_an_expired_session(riverside: User) -> None:
    client = client_for(riverside)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/clinic/")

    assert response.status_code == 302  # to sign-in: the expired session is no session
    assert client.cookies["sessionid"].value != key  # never the key the browser sent


def test_it_treats_a_user_id_that_is_no_user_as_signed_out(riverside: User) -> None:
    # Django reads the session's id as an integer before asking the backend; one beyond any
    # row (and beyond bigint) is no user, as with the ORM's read.
    client = client_for(riverside)
    session = client.session
    session[SESSION_KEY] = "9" * 30
    session.save()
    assert client.get("/clinic/").status_code == 302
    for user_id in ("not-a-number", "", None):
        assert SessionUserBackend().get_user(user_id) is None


def test_it_signs_out_a_deactivated_user(riverside: User) -> None:
    client = client_for(riverside)
    User.objects.filter(pk=riverside.pk).update(is_active=False)
    assert client.get("/clinic/").status_code == 302


def test_it_reads_the_user_through_the_session_backend(riverside: User) -> None:
    client = client_for(riverside)
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.SessionUserBackend"


@pytest.mark.parametrize(
    "device_id",
    ["otp_totp.totpdevice/", "otp_totp.totpdevice/+1", "otp_totp.totpdevice/ 1",
     "otp_totp.totpdevice/\u0661", "otp_totp.totpdevice/1" + "0" * 30, "otp_totp.nothing/1"],
)  # fmt: skip
def test_it_does_not_verify_a_session_whose_device_is_no_device(
    pharmacist: User, device_id: str
) -> None:
    client = client_for(pharmacist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    response = client.get("/review/")
    assert response.status_code == 302
    assert "/two-factor/" in response["Location"] or "two_factor" in response["Location"]


def test_it_does_not_verify_with_another_users_or_an_unconfirmed_device(
    pharmacist: User, director: User
) -> None:
    client = client_for(pharmacist)
    theirs = totp_device_for(director)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
    session.save()
    assert client.get("/review/").status_code == 302

    own = TOTPDevice.objects.get(user=pharmacist)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = own.persistent_id
    session.save()
    assert client.get("/review/").status_code == 200
    TOTPDevice.objects.filter(pk=own.pk).update(confirmed=False)
    assert client.get("/review/").status_code == 302
