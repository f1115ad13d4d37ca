import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from accounts.models import User
from audit.log import record
from audit.models import AuditLog
from tests.factories import make_case


def test_it_writes_one_row_per_case_event_with_the_actor(riverside: User) -> None:
    case = make_case(riverside)
    rows = list(AuditLog.objects.filter(case=case).order_by("id"))
    assert [r.action for r in rows] == ["case.created", "case.submit"]
    assert all(r.actor == riverside and r.organization == riverside.organization for r in rows)


def test_it_refuses_update_and_delete_in_the_database(riverside: User) -> None:
    case = make_case(riverside)
    row = AuditLog.objects.filter(case=case).first()
    assert row is not None
    original = row.action
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.action == original != "tampered"


def test_it_records_without_a_request_as_the_system(riverside: User) -> None:
    case = make_case(riverside)
    row = record(action="case.reminder", case=case)
    assert (row.actor, row.actor_role, row.ip, row.user_agent) == (None, "system", None, "")
    assert (row.object_type, row.object_id) == ("case", str(case.pk))


def test_it_records_an_anonymous_request_without_an_actor(rf: RequestFactory, db: None) -> None:
    request = rf.get("/", headers={"user-agent": "curl/8"}, REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    row = record(action="probe", request=request)
    assert (row.actor, row.actor_role, row.ip, row.user_agent) == (
        None, "anonymous", "203.0.113.9", "curl/8",
    )  # fmt: skip


def test_it_takes_the_actor_from_the_request(rf: RequestFactory, auditor: User) -> None:
    request = rf.get("/")
    request.user = auditor
    row = record(action="case.view", request=request)
    assert (row.actor, row.actor_role) == (auditor, "auditor")


def test_it_ignores_a_forwarded_for_header_without_a_trusted_proxy(
    rf: RequestFactory, settings: Settings, db: None
) -> None:
    settings.AUDIT_PROXY_HOPS = 0
    request = rf.get("/", headers={"x-forwarded-for": "198.51.100.7"}, REMOTE_ADDR="10.0.0.2")
    assert record(action="probe", request=request).ip == "10.0.0.2"


def test_it_reads_the_client_behind_a_trusted_proxy(
    rf: RequestFactory, settings: Settings, db: None
) -> None:
    settings.AUDIT_PROXY_HOPS = 1
    # The client forged the first hop; the proxy appended the address it really saw.
    header = "6.6.6.6, 198.51.100.7"
    request = rf.get("/", headers={"x-forwarded-for": header}, REMOTE_ADDR="10.0.0.2")
    assert record(action="probe", request=request).ip == "198.51.100.7"


def test_it_stores_no_address_rather_than_failing_on_garbage(
    rf: RequestFactory, settings: Settings, db: None
) -> None:
    settings.AUDIT_PROXY_HOPS = 1
    request = rf.get("/", headers={"x-forwarded-for": "<script>"}, REMOTE_ADDR="10.0.0.2")
    row = record(action="probe", request=request)
    row.refresh_from_db()
    assert row.ip is None
