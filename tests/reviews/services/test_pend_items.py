"""A pend's items: 1 to PEND_ITEMS_MAX of them, each at most PEND_ITEM_MAX_LENGTH characters, on
every door (the service, the case page's form) and in PostgreSQL (the count). A refusal says
which rule and changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import errors
from psycopg.types.json import Jsonb

from accounts.models import User
from reviews import services
from reviews.models import (
    PEND_ITEM_MAX_LENGTH,
    PEND_ITEMS_MAX,
    Case,
    CaseEvent,
    RequestForInformation,
    Status,
)
from tests.audit.test_roles import app_connection
from tests.conftest import client_for
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _claimed(riverside: User, pharmacist: User) -> Case:
    return make_case(riverside, claim_by=pharmacist)


def test_it_takes_the_most_items_of_the_longest_length(riverside: User, pharmacist: User) -> None:
    case = _claimed(riverside, pharmacist)
    items = ["x" * PEND_ITEM_MAX_LENGTH] * PEND_ITEMS_MAX
    services.case_pend(actor=pharmacist, case=case, items=items)
    assert RequestForInformation.objects.get(case=case).items == items


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["a"] * (PEND_ITEMS_MAX + 1), f"at most {PEND_ITEMS_MAX} items"),
        (["fine", "y" * (PEND_ITEM_MAX_LENGTH + 1)], "Item 2 has 501 characters"),
        (["\u200b", "  "], "at least one item"),
    ],
)
def test_it_refuses_a_list_beyond_the_rule_and_changes_nothing(
    riverside: User, pharmacist: User, items: list[str], message: str
) -> None:
    case = _claimed(riverside, pharmacist)
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(services.ServiceError, match=message):
        services.case_pend(actor=pharmacist, case=case, items=items)
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not RequestForInformation.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case).count() == events


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=PEND_ITEMS_MAX + 3),
    longest=st.integers(min_value=1, max_value=PEND_ITEM_MAX_LENGTH + 3),
)
def test_it_states_a_problem_exactly_when_a_list_breaks_the_rule(count: int, longest: int) -> None:
    items = ["a"] * (count - 1) + ["b" * longest] if count else []
    breaks = count == 0 or count > PEND_ITEMS_MAX or longest > PEND_ITEM_MAX_LENGTH
    assert bool(services.pend_items_problem(items)) == breaks


def test_it_puts_the_message_on_the_case_pages_field(riverside: User, pharmacist: User) -> None:
    case = _claimed(riverside, pharmacist)
    client = client_for(pharmacist)
    typed = "Inhibitor titer\n" + "z" * (PEND_ITEM_MAX_LENGTH + 1)
    response = client.post(f"/review/cases/{case.pk}/pend/", {"pend-items": typed}, follow=True)
    assert response.status_code == 200
    assert "Item 2 has 501 characters" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not RequestForInformation.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [0, PEND_ITEMS_MAX + 1])
def test_postgresql_refuses_a_list_of_no_items_or_too_many(
    riverside: User, pharmacist: User, count: int
) -> None:
    case = _claimed(riverside, pharmacist)
    items = Jsonb(["item"] * count)
    insert = (
        "INSERT INTO reviews_requestforinformation (case_id, requested_by_id, items, message, "
        "created_at, answer_note) VALUES (%s, %s, %s, '', now(), '')"
    )
    with app_connection() as app, pytest.raises(errors.CheckViolation, match="rfi_items_1_to_max"):
        app.execute(insert, [case.pk, pharmacist.pk, items])
    assert not RequestForInformation.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
def test_it_pends_in_a_transaction_of_its_own(riverside: User, pharmacist: User) -> None:
    # Outside any caller's transaction, as a page calls it: the row lock needs the service's.
    case = _claimed(riverside, pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["Inhibitor titer"])
    case.refresh_from_db()
    assert case.status == Status.PENDED
