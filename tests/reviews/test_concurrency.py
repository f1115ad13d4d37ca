"""Races against the real PostgreSQL: threads, each on its own connection, released together.

The lifetime limit is the database's guarantee (a partial unique index on active
authorizations per canonical member key, and composite foreign keys that keep that key the
case's and the patient's); the services also serialize approvals per member key on a row lock
(reviews 0023), so one person under two keys ruled the same is counted too. One decision per
case is the case row's lock.
"""

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Role, User
from audit.models import AuditLog
from reviews import services
from reviews.models import Authorization, Case, CaseEvent, Decision, Patient, Status
from reviews.workflow import TransitionError
from tests.factories import make_case, make_patient
from tests.threads import race, wait_for_lock_wait

pytestmark = pytest.mark.django_db(transaction=True)


def _same_member_cases(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> tuple[Case, Case]:
    """One member, a request from each clinic, each held by a different reviewer."""
    first = make_case(
        riverside, patient=make_patient(riverside, member_id="MEM-RACE"), claim_by=pharmacist
    )
    second = make_case(
        lakeside, patient=make_patient(lakeside, member_id="MEM-RACE"), claim_by=director
    )
    return first, second


def test_it_leaves_one_authorization_when_two_cases_of_one_member_are_approved_at_once(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    first, second = _same_member_cases(riverside, lakeside, pharmacist, director)

    results = race(
        lambda: services.case_approve(actor=pharmacist, case=first),
        lambda: services.case_approve(actor=director, case=second),
    )

    decisions = [r for r in results if isinstance(r, Decision)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(decisions) == 1 and len(refusals) == 1, results
    assert isinstance(refusals[0], services.LifetimeLimitReached | TransitionError)
    assert "one infusion per lifetime" in str(refusals[0])
    assert Authorization.objects.filter(member_id="MEM-RACE").count() == 1
    statuses = sorted(
        Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    )
    assert statuses == sorted([Status.APPROVED, Status.IN_REVIEW])
    assert Decision.objects.filter(case__in=[first, second]).count() == 1


def test_it_makes_the_second_approval_wait_for_the_first_then_refuses_it(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    """The first approval is held uncommitted while the second runs: the second waits on the
    member key's lock, then counts the first's authorization and refuses."""
    first, second = _same_member_cases(riverside, lakeside, pharmacist, director)
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def approve_and_hold() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = services.case_approve(actor=pharmacist, case=first)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def approve_second() -> None:
        holding.wait(timeout=30)
        try:
            outcome["second"] = services.case_approve(actor=director, case=second)
        except Exception as exc:
            outcome["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve_and_hold), threading.Thread(target=approve_second)]
    for thread in threads:
        thread.start()
    wait_for_lock_wait()  # the second approval is blocked on the member key's lock
    release.set()
    for thread in threads:
        thread.join(timeout=60)

    assert isinstance(outcome["first"], Decision)
    assert isinstance(outcome["second"], services.LifetimeLimitReached)
    second.refresh_from_db()
    assert second.status == Status.IN_REVIEW
    assert not Decision.objects.filter(case=second).exists()
    assert Authorization.objects.filter(member_id="MEM-RACE").count() == 1


def test_it_makes_one_decision_when_one_reviewer_double_clicks_approve(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    results = race(
        lambda: services.case_approve(actor=pharmacist, case=case),
        lambda: services.case_approve(actor=pharmacist, case=case),
    )

    _assert_one_decision(case, results)


def test_it_makes_one_decision_when_two_directors_decide_an_escalated_case_at_once(
    riverside: User, pharmacist: User, director: User
) -> None:
    other_director = User.objects.create_user(
        "dora", role=Role.MEDICAL_DIRECTOR, first_name="Dora", last_name="Diaz"
    )
    case = make_case(riverside, claim_by=pharmacist)
    case = services.case_escalate(actor=pharmacist, case=case, reason="Second opinion")

    results = race(
        lambda: services.case_approve(actor=director, case=case),
        lambda: services.case_approve(actor=other_director, case=case),
    )

    _assert_one_decision(case, results)


def _assert_one_decision(case: Case, results: list[object]) -> None:
    decisions = [r for r in results if isinstance(r, Decision)]
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(decisions) == 1 and len(refusals) == 1, results
    assert isinstance(refusals[0], TransitionError)
    assert "already decided" in str(refusals[0])
    assert Decision.objects.filter(case=case).count() == 1
    assert Authorization.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action="approve").count() == 1


def test_it_gives_a_case_to_one_of_two_reviewers_claiming_at_once(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside)

    results = race(
        lambda: services.case_claim(actor=pharmacist, case=case),
        lambda: services.case_claim(actor=director, case=case),
    )

    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == 1, results
    assert "already has this case" in str(refusals[0])
    case.refresh_from_db()
    assert case.assigned_to in (pharmacist, director)
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1


def test_it_adds_one_patient_when_one_member_is_added_twice_at_once(riverside: User) -> None:
    """Two clicks of "Add patient", or two spellings of one member ID: the loser is told the
    member is on file (a refusal to show), not a 500 from the unique key."""
    born = date(1980, 1, 1)
    person = {"first_name": "Ada", "last_name": "Race", "date_of_birth": born}
    for spellings in (("FEP-777", "FEP-777"), ("FEP-778", "fep 778")):
        results = race(
            *[
                lambda member_id=member_id: services.patient_create(
                    actor=riverside, member_id=member_id, sex_assigned_at_birth="male", **person
                )
                for member_id in spellings
            ]
        )

        refusals = [r for r in results if isinstance(r, Exception)]
        assert len(refusals) == 1, results
        assert type(refusals[0]) is services.ServiceError
        assert "is already on file" in str(refusals[0])
        assert Patient.objects.filter(member_id__in=spellings).count() == 1


def test_it_refuses_a_second_active_authorization_in_the_database_itself(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    """Written past the services, the unique index on the member key still refuses it."""
    first, second = _same_member_cases(riverside, lakeside, pharmacist, director)
    services.case_approve(actor=pharmacist, case=first)
    with (
        pytest.raises(IntegrityError, match="one_active_hemgenix_authorization_per_member_key"),
        transaction.atomic(),
    ):
        _authorization(second, second.member_key, "HGX-BYPASS")


def test_it_refuses_an_authorization_whose_key_is_not_its_cases(
    riverside: User, pharmacist: User
) -> None:
    """A row cannot dodge the unique index with a key of its own: the composite foreign key
    ties the authorization's key to its case's, and the case's to its patient's."""
    case = make_case(riverside, claim_by=pharmacist)
    with (
        pytest.raises(IntegrityError, match="authorization_member_key_of_case"),
        transaction.atomic(),
    ):
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        _authorization(case, "SOMEONEELSE", "HGX-DODGE")
    with (
        pytest.raises(IntegrityError, match="case_member_key_of_patient"),
        transaction.atomic(),
    ):
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        Case.objects.filter(pk=case.pk).update(member_key="SOMEONEELSE")


@pytest.mark.parametrize("inside_a_callers_transaction", [False, True])
def test_it_keeps_nothing_of_an_approval_the_unique_index_alone_refuses(
    riverside: User,
    lakeside: User,
    pharmacist: User,
    director: User,
    monkeypatch: pytest.MonkeyPatch,
    inside_a_callers_transaction: bool,
) -> None:
    """The approval's authorization INSERT has no savepoint of its own: when the index refuses
    it (here the count before it is made to miss the first approval, which the member's lock
    otherwise rules out), the refusal leaves the service's transaction and takes the decision,
    its event and its audit rows with it; a caller's own transaction goes on."""
    first, second = _same_member_cases(riverside, lakeside, pharmacist, director)
    services.case_approve(actor=pharmacist, case=first)
    monkeypatch.setattr("reviews.services.decisions.active_approvals_for", lambda *a, **k: 0)
    # Of the second case only: the first approval's letter may be written meanwhile.
    audit_rows = AuditLog.objects.filter(case=second).count()

    if inside_a_callers_transaction:
        with transaction.atomic():
            with pytest.raises(services.LifetimeLimitReached) as refused:
                services.case_approve(actor=director, case=second)
            assert Case.objects.get(pk=second.pk).status == Status.IN_REVIEW  # still usable
    else:
        with pytest.raises(services.LifetimeLimitReached) as refused:
            services.case_approve(actor=director, case=second)
    assert isinstance(refused.value.__cause__, IntegrityError)  # the index refused, not the count

    second.refresh_from_db()
    assert second.status == Status.IN_REVIEW and second.decided_at is None
    assert not Decision.objects.filter(case=second).exists()
    assert not CaseEvent.objects.filter(case=second, action="approve").exists()
    assert AuditLog.objects.filter(case=second).count() == audit_rows
    assert Authorization.objects.filter(member_id="MEM-RACE").count() == 1


def _authorization(case: Case, key: str, number: str) -> Authorization:
    return Authorization.objects.create(
        case=case,
        member_id=case.member_id,
        member_key=key,
        number=number,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        policy_id=case.policy_id,
    )


def test_it_lets_a_page_view_be_audited_while_a_service_holds_the_case(
    riverside: User, pharmacist: User
) -> None:
    """A service holds the case row until its commit and writes its audit rows last; an audit
    row that points at the case (a reviewer opening its page) must not wait for that commit,
    or it waits holding the audit chain's lock that the service then needs: a deadlock."""
    from audit.log import record
    from reviews.services.base import _locked, atomic

    case = make_case(riverside, claim_by=pharmacist)
    viewed = threading.Event()

    def view() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            record(action="case.view", actor=pharmacist, case=case)
            viewed.set()
        finally:
            connection.close()  # this thread's own connection

    @atomic
    def service() -> bool:
        _locked(case)
        record(action="case.probe", actor=pharmacist, case=case)  # written at the end
        viewer = threading.Thread(target=view)
        viewer.start()
        seen = viewed.wait(timeout=10)
        viewer.join(timeout=10)
        return seen

    assert service(), "the page view's audit row waited for the service's commit"
    assert AuditLog.objects.filter(case=case, action="case.view").count() == 1
    assert AuditLog.objects.filter(case=case, action="case.probe").count() == 1
