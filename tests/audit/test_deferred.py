"""audit.log.deferred() (issue 20): a transaction's audit rows written together at its end, in
the order they were recorded, in the same transaction; nothing of a block that fails; a row of
a savepoint that rolls back alone never written."""

import pytest
from django.db import transaction

from accounts.models import User
from audit.chain import verify
from audit.log import deferred, record
from audit.models import AuditLog
from tests.factories import make_case


def rows(action_prefix: str = "probe.") -> list[str]:
    return list(
        AuditLog.objects.filter(action__startswith=action_prefix)
        .order_by("chain_seq")
        .values_list("action", flat=True)
    )


@pytest.mark.django_db
def test_it_writes_the_rows_at_the_end_in_the_order_recorded(riverside: User) -> None:
    case = make_case(riverside)
    with transaction.atomic():
        with deferred():
            for n in range(3):
                record(action=f"probe.{n}", actor=riverside, case=case)
            assert rows() == []  # nothing written yet: no chain lock taken yet
        assert rows() == ["probe.0", "probe.1", "probe.2"]
    assert verify().ok


@pytest.mark.django_db
def test_it_writes_nothing_of_a_block_that_fails(riverside: User) -> None:
    with pytest.raises(RuntimeError, match="refused"), transaction.atomic(), deferred():
        record(action="probe.before", actor=riverside)
        raise RuntimeError("refused")
    assert rows() == []


@pytest.mark.django_db
def test_it_writes_a_savepoint_s_row_at_once_and_drops_it_with_the_savepoint(
    riverside: User,
) -> None:
    with transaction.atomic(), deferred():
        record(action="probe.outer", actor=riverside)
        try:
            with transaction.atomic():  # a savepoint, which may roll back alone
                record(action="probe.rolled_back", actor=riverside)
                assert rows() == ["probe.rolled_back"]  # written at once
                raise ValueError
        except ValueError:
            pass
        with transaction.atomic():
            record(action="probe.kept", actor=riverside)
        assert rows() == ["probe.kept"]
    assert rows() == ["probe.kept", "probe.outer"]
    assert verify().ok


@pytest.mark.django_db
def test_it_lets_an_inner_block_join_the_outer_one(riverside: User) -> None:
    with transaction.atomic(), deferred():
        record(action="probe.a", actor=riverside)
        with deferred():
            record(action="probe.b", actor=riverside)
        assert rows() == []
    assert rows() == ["probe.a", "probe.b"]


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_defer_outside_a_transaction(riverside: User) -> None:
    with pytest.raises(RuntimeError, match="needs a transaction"), deferred():
        record(action="probe.never", actor=riverside)
    assert rows() == []
