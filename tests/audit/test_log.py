import pytest
from django.db import DatabaseError, transaction

from accounts.models import User
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
