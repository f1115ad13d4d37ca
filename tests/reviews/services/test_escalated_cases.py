"""Once escalated, a case stays the medical directors' until decided or withdrawn (security audit):
through a director's pend, the clinic's answer, releases, claims and assigns; through the case
page and the queue as through the services. A pharmacist's pended case is worked as before."""

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, User
from notifications.sla import holders
from reviews import selectors, services
from reviews.models import Case, CaseEvent, Decision, Status
from reviews.workflow import Action, DenialBasis, TransitionError
from tests.conftest import client_for
from tests.factories import make_case
from tests.reviews.views.reviewer.helpers import missing_hiv_facts


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def escalated_and_pended(
    clinic: User, pharmacist: User, director: User, *, held: bool = True, **kwargs: Any
) -> Case:
    """A case a pharmacist escalated and a director claimed and pended; released if not held."""
    case = make_case(clinic, claim_by=pharmacist, **kwargs)
    services.case_escalate(actor=pharmacist, case=case, reason="needs MD")
    case = services.case_claim(actor=director, case=fresh(case))
    case = services.case_pend(actor=director, case=case, items=["More labs"])
    if not held:
        case = services.case_release(actor=director, case=case)
    return fresh(case)


def answer(clinic: User, case: Case) -> Case:
    services.case_answer_rfi(actor=clinic, case=fresh(case), facts={}, note="x", details={})
    return fresh(case)


def test_it_keeps_an_escalated_case_with_the_medical_director_after_a_pend(
    riverside: User, pharmacist: User, director: User
) -> None:
    """The audit's reproduction, through the case page."""
    case = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=case, reason="needs MD")
    case = services.case_claim(actor=director, case=Case.objects.get(pk=case.pk))
    services.case_pend(actor=director, case=case, items=["More labs"])
    services.case_answer_rfi(
        actor=riverside, case=Case.objects.get(pk=case.pk), facts={}, note="x", details={}
    )
    c = client_for(pharmacist)
    c.post(
        reverse("reviewer:assign", args=[case.pk]),
        {"assign-reviewer": pharmacist.pk, "assign-reason": ""},
    )
    c.post(reverse("reviewer:approve", args=[case.pk]), {"approve-reason": "fine"})
    assert not Decision.objects.filter(case=case, decided_by=pharmacist).exists()
    case = fresh(case)
    assert (case.status, case.assigned_to) == (Status.ESCALATED, director)
    assert not CaseEvent.objects.filter(case=case, actor=pharmacist, action=Action.ASSIGN)


@pytest.mark.parametrize("held", [True, False], ids=["held", "released"])
def test_it_returns_the_answer_to_an_escalated_pend_to_the_directors(
    riverside: User, pharmacist: User, director: User, held: bool
) -> None:
    """To the director who holds the case, else to the directors' queue: never to the
    pharmacists' (in review, or submitted)."""
    case = answer(riverside, escalated_and_pended(riverside, pharmacist, director, held=held))
    assert case.status == Status.ESCALATED
    assert case.assigned_to == (director if held else None)
    event = CaseEvent.objects.filter(case=case, action=Action.ANSWER).get()
    assert (event.from_status, event.to_status) == (Status.PENDED, Status.ESCALATED)
    mine = {"scope": "mine"} if held else {"scope": "unassigned"}
    assert case in selectors.reviewer_queue(director, mine)
    assert case not in selectors.reviewer_queue(pharmacist, {})


@pytest.mark.parametrize("held", [True, False], ids=["held", "released"])
@pytest.mark.parametrize("action", [Action.CLAIM, Action.ASSIGN, Action.RELEASE, Action.DENY])
def test_it_refuses_a_pharmacist_any_move_on_a_pended_escalated_case(
    riverside: User, pharmacist: User, director: User, action: str, held: bool
) -> None:
    case = escalated_and_pended(
        riverside, pharmacist, director, held=held, facts=missing_hiv_facts()
    )
    moves = {
        Action.CLAIM: lambda: services.case_claim(actor=pharmacist, case=case),
        Action.ASSIGN: lambda: services.case_assign(
            actor=pharmacist, case=case, reviewer=pharmacist
        ),
        Action.RELEASE: lambda: services.case_release(actor=pharmacist, case=case),
        # What the pend allows: a denial for information requested and not provided.
        Action.DENY: lambda: services.case_deny(
            actor=pharmacist,
            case=case,
            failed_criteria=["excl_hiv"],
            reason="No HIV result.",
            basis=DenialBasis.UNANSWERED,
        ),
    }
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(services.ServiceError):
        moves[action]()
    after = fresh(case)
    assert (after.status, after.assigned_to_id) == (Status.PENDED, case.assigned_to_id)
    assert CaseEvent.objects.filter(case=case).count() == events


def test_it_refuses_the_pharmacist_the_pended_variant_through_the_page(
    riverside: User, pharmacist: User, director: User
) -> None:
    """Held by the director and pended: the pharmacist can neither take it nor deny it for
    information not provided; the page offers them no move on it."""
    case = escalated_and_pended(riverside, pharmacist, director, facts=missing_hiv_facts())
    c = client_for(pharmacist)
    c.post(reverse("reviewer:claim", args=[case.pk]))
    c.post(
        reverse("reviewer:assign", args=[case.pk]),
        {"assign-reviewer": pharmacist.pk, "assign-reason": ""},
    )
    c.post(
        reverse("reviewer:deny", args=[case.pk]),
        {
            "deny-basis": DenialBasis.UNANSWERED,
            "deny-failed_criteria": ["excl_hiv"],
            "deny-reason": "No HIV result.",
        },
    )
    case = fresh(case)
    assert (case.status, case.assigned_to) == (Status.PENDED, director)
    assert not Decision.objects.filter(case=case).exists()
    page = c.get(reverse("reviewer:case", args=[case.pk]))
    assert page.context["actions"] == []
    assert b'data-testid="case-escalated"' in page.content


def test_it_lets_a_director_assign_an_escalated_pend_only_to_a_director(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = escalated_and_pended(riverside, pharmacist, director, held=False)
    with pytest.raises(TransitionError, match="only be assigned to a medical director"):
        services.case_assign(actor=director, case=case, reviewer=pharmacist)
    services.case_assign(actor=director, case=case, reviewer=director)
    assert fresh(case).assigned_to == director


def test_it_offers_pharmacists_no_decision_on_an_answered_escalated_case(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = answer(riverside, escalated_and_pended(riverside, pharmacist, director, held=False))
    pharmacists_page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk]))
    assert pharmacists_page.context["actions"] == []
    for action in ("approve", "deny", "assign", "claim"):
        assert reverse(f"reviewer:{action}", args=[case.pk]).encode() not in (
            pharmacists_page.content
        )
    directors_page = client_for(director).get(reverse("reviewer:case", args=[case.pk]))
    assert Action.CLAIM in directors_page.context["actions"]


def test_it_shows_a_released_escalated_pend_in_the_directors_queue_only(
    riverside: User, pharmacist: User, director: User
) -> None:
    escalated = escalated_and_pended(riverside, pharmacist, director, held=False)
    pharmacists = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pharmacists, items=["More labs"])
    pharmacists = services.case_release(actor=pharmacist, case=fresh(pharmacists))
    unassigned = {"scope": "unassigned"}
    assert set(selectors.reviewer_queue(director, unassigned)) == {escalated, pharmacists}
    assert set(selectors.reviewer_queue(pharmacist, unassigned)) == {pharmacists}
    queue = client_for(director).get(reverse("reviewer:queue"))
    row = queue.content.decode().split(f'id="case-row-{escalated.pk}"')[1].split("</tr>")[0]
    assert ">Escalated</span>" in row


def test_it_alerts_the_directors_of_a_released_escalated_pend(
    riverside: User, pharmacist: User, director: User
) -> None:
    """The SLA sweep tells whoever may take the case: the directors, not the pharmacists."""
    case = escalated_and_pended(riverside, pharmacist, director, held=False)
    told = holders(case)
    assert director in told
    assert {user.role for user in told} == {Role.MEDICAL_DIRECTOR}


@pytest.mark.parametrize("held", [True, False], ids=["held", "released"])
def test_it_works_a_pharmacists_pended_case_as_before(
    riverside: User, pharmacist: User, director: User, held: bool
) -> None:
    """Never escalated: the answer goes back to review (held) or to the shared queue, and any
    pharmacist may take it from there or while it is pended."""
    case = make_case(riverside, claim_by=pharmacist)
    case = services.case_pend(actor=pharmacist, case=case, items=["More labs"])
    if not held:
        case = services.case_release(actor=pharmacist, case=case)
        assert case in selectors.reviewer_queue(pharmacist, {"scope": "unassigned"})
        case = services.case_claim(actor=pharmacist, case=fresh(case))
        case = services.case_release(actor=pharmacist, case=case)
    case = answer(riverside, case)
    assert not case.is_escalated
    assert case.status == (Status.IN_REVIEW if held else Status.SUBMITTED)
    assert case.assigned_to == (pharmacist if held else None)
    if not held:
        case = services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=fresh(case), reason="All met")
    assert Decision.objects.get(case=case).decided_by == pharmacist


def test_it_lets_the_director_decide_the_answered_escalated_case(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = answer(riverside, escalated_and_pended(riverside, pharmacist, director))
    services.case_approve(actor=director, case=case, reason="All met")
    decided = fresh(case)
    assert decided.status == Status.APPROVED
    assert decided.is_escalated  # the record of it stays


def test_it_marks_cases_escalated_before_the_column_from_their_history(
    riverside: User, pharmacist: User, director: User
) -> None:
    """Migration 0014's backfill: an escalated case pended before the column existed is the
    directors' too."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reviews.migrations.0015_case_escalated_at")
    case = escalated_and_pended(riverside, pharmacist, director)
    never = make_case(riverside, claim_by=pharmacist)
    Case.objects.update(escalated_at=None)
    migration.mark_escalated_cases(apps, None)
    escalation = CaseEvent.objects.get(case=case, action=Action.ESCALATE)
    assert fresh(case).escalated_at == escalation.created_at
    assert fresh(never).escalated_at is None
