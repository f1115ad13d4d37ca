"""The reviewer's queue: scope, filters, sorting, due flags, constant queries, claim in place."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews import selectors, services
from reviews.models import Case, Status
from tests.conftest import client_for
from tests.factories import make_case

from .helpers import missing_hiv_facts

QUEUE = reverse("reviewer:queue")


def references(response: Any) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


def test_it_lists_unassigned_cases_and_mine_but_not_drafts_others_or_decided(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    unassigned = make_case(riverside)
    other_clinic = make_case(lakeside)
    mine = make_case(riverside, claim_by=pharmacist)
    make_case(riverside, submit=False)  # a draft: still the clinic's business
    make_case(riverside, claim_by=director)  # someone else's
    decided = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=decided)

    response = client_for(pharmacist).get(QUEUE)

    assert response.status_code == 200
    assert sorted(references(response)) == sorted(
        [unassigned.reference, other_clinic.reference, mine.reference]
    )
    assert client_for(pharmacist).get(QUEUE, {"scope": "mine"}).context["page"].paginator.count == 1
    only_unassigned = references(client_for(pharmacist).get(QUEUE, {"scope": "unassigned"}))
    assert sorted(only_unassigned) == sorted([unassigned.reference, other_clinic.reference])
    # A decided case is found by asking for its status.
    assert references(client_for(pharmacist).get(QUEUE, {"status": "approved"})) == [
        decided.reference
    ]


def test_it_shows_escalated_cases_to_medical_directors_only(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=case, reason="Needs a hematologist's view")

    assert case.reference in references(client_for(director).get(QUEUE))
    assert case.reference not in references(client_for(pharmacist).get(QUEUE))
    page = client_for(director).get(QUEUE).content.decode()
    assert f'hx-post="{reverse("reviewer:claim", args=[case.pk])}"' in page


def test_it_filters_by_status_urgency_clinic_and_reference(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    standard = make_case(riverside)
    expedited = make_case(riverside, urgency="expedited")
    lakeside_case = make_case(lakeside)
    pended = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pended, items=["HIV serology result"])
    client = client_for(pharmacist)

    assert references(client.get(QUEUE, {"urgency": "expedited"})) == [expedited.reference]
    by_clinic = references(client.get(QUEUE, {"clinic": str(lakeside.organization_id)}))
    assert by_clinic == [lakeside_case.reference]
    assert references(client.get(QUEUE, {"status": "pended"})) == [pended.reference]
    assert references(client.get(QUEUE, {"q": standard.reference.lower()})) == [standard.reference]
    assert references(client.get(QUEUE, {"q": lakeside_case.member_id})) == [
        lakeside_case.reference
    ]


def test_it_reports_a_bad_filter_value_on_its_field_and_keeps_the_others(
    riverside: User, pharmacist: User
) -> None:
    make_case(riverside)
    expedited = make_case(riverside, urgency="expedited")

    response = client_for(pharmacist).get(QUEUE, {"status": "nonsense", "urgency": "expedited"})

    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert references(response) == [expedited.reference]


def test_it_sorts_by_the_clock_the_urgency_sets(riverside: User, pharmacist: User) -> None:
    standard = make_case(riverside)
    expedited = make_case(riverside, urgency="expedited")  # submitted later, due sooner

    assert references(client_for(pharmacist).get(QUEUE)) == [
        expedited.reference,
        standard.reference,
    ]
    assert references(client_for(pharmacist).get(QUEUE, {"sort": "-due"})) == [
        standard.reference,
        expedited.reference,
    ]
    assert clock_hours(expedited) == 24 and clock_hours(standard) == 72


def test_it_takes_the_clock_lengths_from_settings(
    settings: Any, riverside: User, pharmacist: User
) -> None:
    settings.REVIEW_CLOCK_HOURS = {"standard": 96, "expedited": 12}
    case = make_case(riverside, urgency="expedited")
    assert clock_hours(case) == 12


def clock_hours(case: Case) -> float:
    assert case.due_at is not None and case.submitted_at is not None
    return (case.due_at - case.submitted_at) / timedelta(hours=1)


def test_it_makes_overdue_and_nearly_due_cases_stand_out(
    settings: Any, riverside: User, pharmacist: User
) -> None:
    settings.REVIEW_DUE_SOON_HOURS = 8
    settings.REVIEW_CLOCK_HOURS = {"standard": 72, "expedited": 4}
    relaxed = make_case(riverside)
    soon = make_case(riverside, urgency="expedited")  # due in 4 hours: within 8
    settings.REVIEW_CLOCK_HOURS = {"standard": 72, "expedited": -1}
    overdue = make_case(riverside, urgency="expedited")  # due an hour ago
    client = client_for(pharmacist)

    page = client.get(QUEUE).content.decode()

    assert _row_class(page, overdue) == "due-overdue"
    assert _row_class(page, soon) == "due-soon"
    assert _row_class(page, relaxed) == ""
    assert references(client.get(QUEUE, {"due": "overdue"})) == [overdue.reference]
    assert references(client.get(QUEUE, {"due": "soon"})) == [soon.reference]


def _row_class(page: str, case: Case) -> str:
    start = page.index(f'id="case-row-{case.pk}"')
    row = page[start : page.index(">", start)]
    return row.split('class="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("pauses", [True, False])
def test_it_pauses_the_clock_while_pended_if_the_policy_says_so(
    settings: Any, riverside: User, pharmacist: User, pauses: bool
) -> None:
    settings.REVIEW_CLOCK_PAUSES_WHILE_PENDED = pauses
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    due = case.due_at
    assert due is not None
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology result"])
    # Two hours pass while the clinic looks for the result.
    Case.objects.filter(pk=case.pk, clock_paused_at__isnull=False).update(
        clock_paused_at=timezone.now() - timedelta(hours=2)
    )

    shown = selectors.reviewer_case(pharmacist, case.pk)
    answered = services.case_answer_rfi(
        actor=riverside, case=case, facts={"hiv_status": "negative"}
    )

    expected = due + timedelta(hours=2) if pauses else due
    effective_due = shown.effective_due  # type: ignore[attr-defined]  # an annotation
    assert abs(effective_due - expected) < timedelta(seconds=5)
    assert selectors.due_state(shown) == ("paused" if pauses else "")
    assert answered.due_at is not None
    assert abs(answered.due_at - expected) < timedelta(seconds=5)


def test_it_reads_the_queue_in_the_same_number_of_queries_for_any_number_of_rows(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    client = client_for(pharmacist)
    client.get(QUEUE)  # the first page after sign-in also starts the session's idle clock
    make_case(riverside, claim_by=pharmacist)
    few = _queries(client)
    for index in range(8):
        make_case(riverside if index % 2 else lakeside, claim_by=pharmacist if index % 3 else None)

    assert _queries(client) == few
    assert client.get(QUEUE).context["page"].paginator.count == 9


def _queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(QUEUE).status_code == 200
    return len(captured)


def test_it_pages_the_queue(settings: Any, riverside: User, pharmacist: User) -> None:
    cases = [make_case(riverside) for _ in range(selectors.QUEUE_PAGE_SIZE + 2)]
    client = client_for(pharmacist)

    first, second = client.get(QUEUE), client.get(QUEUE, {"page": 2})

    assert len(references(first)) == selectors.QUEUE_PAGE_SIZE
    assert len(references(second)) == 2
    assert sorted(references(first) + references(second)) == sorted(c.reference for c in cases)


def test_it_claims_from_the_queue_and_swaps_the_row_in_place(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside)

    response = client_for(pharmacist).post(
        reverse("reviewer:claim", args=[case.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.templates[0].name == "reviews/reviewer/_queue_row.html"
    row = response.content.decode()
    assert row.strip().startswith("<tr") and f'id="case-row-{case.pk}"' in row
    assert "You" in row and "Claim</button>" not in row
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW and case.assigned_to == pharmacist


def test_it_says_in_the_row_who_claimed_the_case_first(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director)

    response = client_for(pharmacist).post(
        reverse("reviewer:claim", args=[case.pk]), HTTP_HX_REQUEST="true"
    )

    assert "Dana Dorsey, MD, Hematology already has this case" in response.content.decode()
    case.refresh_from_db()
    assert case.assigned_to == director


def test_it_updates_the_results_alone_when_htmx_changes_a_filter(
    riverside: User, pharmacist: User
) -> None:
    make_case(riverside)

    response = client_for(pharmacist).get(
        QUEUE, {"sort": "-due"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="queue-results"')
    # The filter form's sort field follows along, swapped out of band.
    oob = body[body.index('<select name="sort"') :]
    oob = oob[: oob.index("</select>")]
    assert 'id="id_sort"' in oob and 'hx-swap-oob="true"' in oob
    assert '<option value="-due" selected>' in oob
    assert 'aria-sort="descending"' in body


@pytest.mark.parametrize("username", ["riverside", "audrey", "admin"])
def test_it_keeps_the_queue_for_reviewers(users: dict[str, User], username: str) -> None:
    assert client_for(users[username]).get(QUEUE).status_code == 403
