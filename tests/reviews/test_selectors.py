"""The case page's outcome (decision, who made it, authorization) joined to the case's query."""

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from reviews import selectors, services
from reviews.models import Case, Decision
from tests.factories import make_case

pytestmark = pytest.mark.django_db

AssertNum = Callable[[int], Any]


def approved(clinic: User, pharmacist: User) -> tuple[Case, Decision]:
    case = make_case(clinic, claim_by=pharmacist)
    return case, services.case_approve(actor=pharmacist, case=case, reason="Meets policy")


def test_it_reads_a_decided_cases_outcome_with_the_case(
    riverside: User, pharmacist: User, django_assert_num_queries: AssertNum
) -> None:
    decided, decision = approved(riverside, pharmacist)
    plain = selectors.case_for(riverside, decided.pk)
    expected = selectors.case_record(plain)

    with django_assert_num_queries(1):
        case = selectors.reviewer_case(pharmacist, decided.pk, with_outcome=True)
    with django_assert_num_queries(0):
        found = selectors.decision_of(case)
        assert found is not None and found.decided_by == pharmacist
    with django_assert_num_queries(3):  # documents, events, requests for information
        record = selectors.case_record(case)

    assert found == decision == expected.decision == record.decision
    assert record.authorization is not None
    assert record.authorization == expected.authorization
    assert record.authorized_dose == expected.authorized_dose


def test_it_knows_an_open_case_has_no_outcome_without_asking(
    riverside: User, pharmacist: User, django_assert_num_queries: AssertNum
) -> None:
    open_case = make_case(riverside)
    case = selectors.case_for(riverside, open_case.pk, with_outcome=True)

    with django_assert_num_queries(0):
        assert selectors.decision_of(case) is None
    with django_assert_num_queries(3):
        record = selectors.case_record(case)
    assert (record.decision, record.authorization, record.authorized_dose) == (None, None, None)


def test_it_still_asks_for_the_outcome_of_a_case_read_without_it(
    riverside: User, pharmacist: User, django_assert_num_queries: AssertNum
) -> None:
    decided, decision = approved(riverside, pharmacist)
    case = selectors.case_for(riverside, decided.pk)

    with django_assert_num_queries(1):
        assert selectors.decision_of(case) == decision
    with django_assert_num_queries(5):
        record = selectors.case_record(case)
    assert record.authorization is not None and record.authorization.case_id == case.pk
