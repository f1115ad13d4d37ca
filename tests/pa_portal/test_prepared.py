"""pa_portal/prepared.py: a read compiled once per shape gives what its queryset gives, and
refuses (or, in the test suite, catches) a query whose SQL depends on more than its shape."""

import threading
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import User
from pa_portal.prepared import Prepared
from reviews import selectors, services
from reviews.models import Case, CaseEvent, Status
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _by_clinic(shape: str, *, organization_id: int) -> QuerySet[Case]:
    return Case.objects.filter(organization_id=organization_id).select_related("patient")


def test_it_runs_in_the_test_suite_with_every_read_checked() -> None:
    # Without this, the checks below that rely on the comparison would prove nothing.
    assert django_settings.PREPARED_READS_VERIFY is True


def test_it_gives_what_the_queryset_gives_joined_rows_included(
    riverside: User, lakeside: User
) -> None:
    read = Prepared(_by_clinic, organization_id=int)
    for user in (riverside, lakeside, riverside):
        make_case(user)
        assert user.organization_id is not None
        expected = list(_by_clinic("", organization_id=user.organization_id))
        got = read.all("", organization_id=user.organization_id)
        assert [c.pk for c in got] == [c.pk for c in expected]
        with CaptureQueriesContext(connection) as queries:
            assert [c.patient.last_name for c in got] == [c.patient.last_name for c in expected]
        assert not queries.captured_queries  # the join filled each patient


def test_it_compiles_each_shape_once(riverside: User, settings: Any) -> None:
    calls: list[Any] = []

    def build(shape: str, *, organization_id: int) -> QuerySet[Case]:
        calls.append(organization_id)
        return _by_clinic(shape, organization_id=organization_id)

    read = Prepared(build, organization_id=int)
    settings.PREPARED_READS_VERIFY = False  # the check would build it on every call
    for _ in range(3):
        read.all("one", organization_id=riverside.organization_id)
    read.all("two", organization_id=riverside.organization_id)
    assert len(calls) == 2  # once per shape, with marker values
    assert riverside.organization_id not in calls


def test_it_refuses_a_slot_django_rewrites() -> None:
    def build(shape: str, *, name: str) -> QuerySet[Case]:
        return Case.objects.filter(reference__contains=name)  # sent as '%name%'

    with pytest.raises(ValueError, match="Not preparable"):
        Prepared(build, name=str).all("", name="PA-")


def test_it_catches_sql_that_depends_on_a_value_beyond_the_shape(riverside: User) -> None:
    def build(shape: str, *, since: datetime) -> QuerySet[Case]:
        qs = Case.objects.filter(created_at__gte=since)
        # The SQL changes with the value: what a shape must never hide.
        return qs.filter(urgency="expedited") if since.year > 2000 else qs

    read = Prepared(build, since=datetime)
    read.all("", since=timezone.make_aware(datetime(1999, 1, 1)))
    with pytest.raises(AssertionError, match="depends on more than the shape"):
        read.all("", since=timezone.now())


def test_it_takes_only_the_slots_own_type(riverside: User) -> None:
    read = Prepared(_by_clinic, organization_id=int)
    for wrong in (str(riverside.organization_id), float(1), True, None):
        with pytest.raises(TypeError):
            read.all("", organization_id=wrong)
    with pytest.raises(TypeError):
        read.all("")  # a slot left out
    naive = Prepared(lambda shape, *, at: Case.objects.filter(created_at__lt=at), at=datetime)
    with pytest.raises(TypeError, match="aware"):
        naive.all("", at=datetime(2026, 1, 1))


@hsettings(max_examples=30, deadline=None)
@given(pk=st.integers(min_value=-(2**70), max_value=2**70))
def test_it_finds_what_the_orm_finds_for_any_id(pk: int) -> None:
    # Beyond bigint a prepared read is the ORM's own read, which knows what the value means.
    read = Prepared(lambda shape, *, pk: Case.objects.filter(pk=pk), pk=int)
    assert [c.pk for c in read.all("", pk=pk)] == list(
        Case.objects.filter(pk=pk).values_list("pk", flat=True)
    )


def test_it_reads_on_the_callers_own_connection_from_another_thread(riverside: User) -> None:
    read = Prepared(_by_clinic, organization_id=int)
    read.all("", organization_id=riverside.organization_id)  # planned on this thread
    outcome: list[Any] = []

    def other() -> None:
        try:
            outcome.append(len(read.all("", organization_id=-1)))
        except Exception as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert outcome == [0]


def test_it_scopes_a_case_read_as_cases_visible_to_does(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    theirs = make_case(lakeside)
    draft = make_case(riverside, submit=False)
    for user, case, seen in ((riverside, theirs, False), (pharmacist, theirs, True)):
        if seen:
            assert selectors.case_for(user, case.pk).pk == case.pk
        else:
            with pytest.raises(selectors.Http404):
                selectors.case_for(user, case.pk)
    with pytest.raises(selectors.Http404):
        selectors.reviewer_case(pharmacist, draft.pk)  # a draft is still the clinic's own
    assert selectors.reviewer_case(riverside, draft.pk).pk == draft.pk


def test_it_gives_a_cases_rows_with_the_case_already_attached(riverside: User) -> None:
    case = make_case(riverside)
    events = selectors.rows_of_case(case, CaseEvent, "actor")
    assert [e.pk for e in events] == list(case.events.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        assert all(e.case is case for e in events)
        [e.actor for e in events]
    assert not queries.captured_queries


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_locking_read_outside_a_transaction(riverside: User, settings: Any) -> None:
    # As select_for_update() refuses: the lock would end with the statement. Planned inside a
    # transaction, then called outside one, without the check's own compilation (which would
    # refuse it by itself).
    settings.PREPARED_READS_VERIFY = False
    read = Prepared(lambda shape, *, pk: Case.objects.select_for_update().filter(pk=pk), pk=int)
    with transaction.atomic():
        assert read.all("", pk=-1) == []
    with pytest.raises(TransactionManagementError):
        read.all("", pk=1)


def test_it_counts_what_the_queryset_counts(riverside: User, lakeside: User) -> None:
    read = Prepared(_by_clinic, organization_id=int)
    for user, made in ((riverside, 3), (lakeside, 1)):
        for _ in range(made):
            make_case(user)
        assert user.organization_id is not None
        expected = _by_clinic("", organization_id=user.organization_id).count()
        assert read.count("", organization_id=user.organization_id) == expected == made
    assert read.count("", organization_id=2**70) == 0  # beyond bigint: the ORM's own answer


def test_it_never_serves_one_clinics_case_to_another_nor_a_stale_status(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    # The plans hold SQL, never rows: each call binds its own clinic and reads the row as it is.
    theirs, ours = make_case(lakeside), make_case(riverside)
    for _ in range(2):  # the second time through, every plan is made
        assert selectors.case_for(riverside, ours.pk).pk == ours.pk
        with pytest.raises(selectors.Http404):
            selectors.case_for(riverside, theirs.pk)
        assert selectors.case_for(lakeside, theirs.pk).pk == theirs.pk
    assert selectors.reviewer_case(pharmacist, ours.pk).status == Status.SUBMITTED
    services.case_claim(actor=pharmacist, case=ours)
    assert selectors.reviewer_case(pharmacist, ours.pk).status == Status.IN_REVIEW
