"""Every status x action x role, through the real services: allowed or refused as the portal's
policy says (EXPECTED below, written out by hand, not read from the code's table).

An allowed move changes the status as the policy says and writes one event with the actor, the
from/to states and the reason; a refused one raises with a message and changes nothing.
"""

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role, User
from reviews import services, workflow
from reviews.models import OPEN_STATUSES, Case, CaseEvent, Status
from reviews.workflow import (
    MOVES,
    TRANSITIONS,
    Action,
    TransitionError,
    available_actions,
    check_move,
    move_for,
)
from tests.factories import approvable_facts, make_case, make_patient, stored_document

# The portal's policy of who may do what to a case in which status, and where it goes. Anything
# not in this table is refused. "clinic" is the requesting clinic's staff, "reviewers" are
# pharmacists and medical directors, "director" medical directors only.
EXPECTED_TABLE = """
draft      submit           submitted  clinic
draft      draft_saved      draft      clinic
draft      document_added   draft      clinic
draft      document_removed draft      clinic
draft      withdraw         withdrawn  clinic
submitted  claim            in_review  reviewers
submitted  assign           in_review  reviewers
submitted  withdraw         withdrawn  clinic
in_review  assign           in_review  reviewers
in_review  release          submitted  reviewers
in_review  pend             pended     reviewers
in_review  escalate         escalated  reviewers
in_review  approve          approved   reviewers
in_review  deny             denied     reviewers
in_review  override         in_review  reviewers
in_review  identity_ruling  in_review  reviewers
in_review  withdraw         withdrawn  clinic
pended     claim            pended     reviewers
pended     assign           pended     reviewers
pended     release          pended     reviewers
pended     answer_rfi       in_review  clinic
pended     deny             denied     reviewers
pended     document_added   pended     clinic
pended     document_removed pended     clinic
pended     withdraw         withdrawn  clinic
escalated  claim            escalated  director
escalated  assign           escalated  director
escalated  release          escalated  director
escalated  pend             pended     director
escalated  approve          approved   director
escalated  deny             denied     director
escalated  override         escalated  director
escalated  identity_ruling  escalated  director
escalated  withdraw         withdrawn  clinic
"""
# An escalated case is the medical directors' until decided or withdrawn (security audit): while
# a director's request for information waits, only directors move it, and the clinic's answer
# returns it to them. Every other row of a pended case is as above; an escalated case in review
# or submitted no longer happens (the table's rows for them would be the directors' alone).
EXPECTED_ESCALATED_PENDED_TABLE = """
pended     claim            pended     director
pended     assign           pended     director
pended     release          pended     director
pended     answer_rfi       escalated  clinic
pended     deny             denied     director
pended     document_added   pended     clinic
pended     document_removed pended     clinic
pended     withdraw         withdrawn  clinic
"""
WHO: dict[str, set[str]] = {
    "clinic": {Role.PRESCRIBER},
    "reviewers": {Role.PHARMACIST, Role.MEDICAL_DIRECTOR},
    "director": {Role.MEDICAL_DIRECTOR},
}
EXPECTED: dict[tuple[str, str], tuple[str, set[str]]] = {
    (status, action): (to, WHO[who])
    for status, action, to, who in (line.split() for line in EXPECTED_TABLE.strip().splitlines())
}
EXPECTED_ESCALATED: dict[tuple[str, str], tuple[str, set[str]]] = {
    **{key: move for key, move in EXPECTED.items() if key[0] == Status.ESCALATED},
    **{
        (status, action): (to, WHO[who])
        for status, action, to, who in (
            line.split() for line in EXPECTED_ESCALATED_PENDED_TABLE.strip().splitlines()
        )
    },
}
ACTIONS = list(MOVES)
ROLES = list(Role)
ROLE_USER: dict[str, str] = {
    Role.PRESCRIBER: "riverside",
    Role.PHARMACIST: "phil",
    Role.MEDICAL_DIRECTOR: "dana",
    Role.AUDITOR: "audrey",
    Role.ADMIN: "admin",
}
REASONS = {
    Action.RELEASE: "Out of office",
    Action.PEND: "Need the HIV result",
    Action.ANSWER: "HIV negative, report attached",
    Action.ESCALATE: "Borderline factor IX level",
    Action.APPROVE: "All criteria verified",
    Action.DENY: "Factor IX activity above 2%",
    Action.WITHDRAW: "Patient chose another therapy",
    Action.RULE: "Factor IX report shows 3%",
    Action.RULE_IDENTITY: "The plan confirmed two members",
    Action.REMOVE_DOCUMENT: "Another patient's report",
}
COMBINATIONS = list(itertools.product(Status, ACTIONS, ROLES))


def _allowed(status: Status, action: str, role: str) -> bool:
    expected = EXPECTED.get((status, action))
    return expected is not None and role in expected[1]


def test_the_table_is_the_portals_policy() -> None:
    actual = {(s, a): (m.to, set(m.roles)) for (s, a), m in TRANSITIONS.items()}
    assert actual == EXPECTED
    # An answer to a released pend goes back to the shared queue, not to a reviewer.
    assert TRANSITIONS[(Status.PENDED, Action.ANSWER)].destination(None) == Status.SUBMITTED
    assert TRANSITIONS[(Status.PENDED, Action.ANSWER)].destination(7) == Status.IN_REVIEW


def test_it_covers_every_action_in_the_table() -> None:
    assert {action for _, action in TRANSITIONS} == set(ACTIONS)
    assert len(COMBINATIONS) == len(Status) * len(ACTIONS) * len(Role)


@pytest.mark.parametrize(("status", "action", "role"), COMBINATIONS)
def test_it_checks_every_move_against_the_table(status: Status, action: str, role: str) -> None:
    if _allowed(status, action, role):
        assert check_move(status, action, role, escalated=False).to == EXPECTED[(status, action)][0]
        assert action in available_actions(
            status, role=role, actor_id=1, holder_id=None, escalated=False
        ) or (
            action == Action.RELEASE  # nothing to release on an unheld case
        )
        return
    with pytest.raises(TransitionError) as refused:
        check_move(status, action, role, escalated=False)
    message = str(refused.value)
    assert message.endswith("nothing was changed.")
    if status in (Status.APPROVED, Status.DENIED):
        assert "already decided" in message
    elif status == Status.WITHDRAWN:
        assert "withdrawn" in message
    assert action not in available_actions(
        status, role=role, actor_id=1, holder_id=None, escalated=False
    )


ESCALATED_COMBINATIONS = list(itertools.product((Status.PENDED, Status.ESCALATED), ACTIONS, ROLES))


@pytest.mark.parametrize(("status", "action", "role"), ESCALATED_COMBINATIONS)
def test_it_checks_every_move_on_an_escalated_case(status: Status, action: str, role: str) -> None:
    """Where an escalated open case can be (escalated, or pended by a director), as the policy
    says: the directors' moves and the clinic's, and no way back to the pharmacists."""
    expected = EXPECTED_ESCALATED.get((status, action))
    if expected is not None and role in expected[1]:
        move = check_move(status, action, role, escalated=True)
        # Held or not, an answer returns to the directors (held: to the one holding it).
        assert {move.destination(None), move.destination(7)} == {expected[0]}
        return
    with pytest.raises(TransitionError) as refused:
        check_move(status, action, role, escalated=True)
    assert str(refused.value).endswith("nothing was changed.")
    for holder in (None, 1):
        assert action not in available_actions(
            status, role=role, actor_id=1, holder_id=holder, escalated=True
        )


@pytest.mark.parametrize(("status", "action"), list(TRANSITIONS))
def test_it_keeps_every_row_of_the_table_from_handing_an_escalated_case_back(
    status: Status, action: str
) -> None:
    """The rule holds over the whole table, a row added later included: on an escalated case
    no move is widened, every payer move is the directors', and none goes to the pharmacists'
    statuses; on any other case the table's row is the move."""
    plain = TRANSITIONS[(status, action)]
    assert move_for(status, action, escalated=False) == plain
    move = move_for(status, action, escalated=True)
    assert move is not None
    assert move.roles <= plain.roles
    assert move.roles <= {Role.MEDICAL_DIRECTOR} or move.roles == {Role.PRESCRIBER}
    destinations = {move.destination(None), move.destination(7)}
    assert not destinations & {Status.SUBMITTED, Status.IN_REVIEW}
    if Role.MEDICAL_DIRECTOR in plain.roles:
        assert move.roles == {Role.MEDICAL_DIRECTOR}


@pytest.fixture
def team(users: dict[str, User]) -> dict[str, User]:
    """The demo users plus a second medical director, to assign cases to."""
    dora = User.objects.create_user(
        "dora", role=Role.MEDICAL_DIRECTOR, first_name="Dora", last_name="Diaz", credentials="MD"
    )
    return {**users, "dora": dora}


def _facts(status: Status, action: str) -> dict[str, Any]:
    """Approvable facts, except where the case must be deniable (factor IX above 2%)."""
    if status != Status.APPROVED and Action.DENY in (action, *_path(status)):
        return {**approvable_facts(), "fix_activity_value": "5"}
    return approvable_facts()


def _path(status: Status) -> tuple[str, ...]:
    return (Action.DENY,) if status == Status.DENIED else ()


def _case_in(status: Status, action: str, actor: User, team: dict[str, User]) -> Case:
    """A case in `status`, held so that the holder rule leaves the decision to the table: a
    reviewer acting holds the case themselves; claims find it unheld; releases find it held."""
    clinic, phil = team["riverside"], team["phil"]
    holder = actor if actor.is_reviewer else phil
    patient = None
    if action == Action.RULE_IDENTITY and status in (Status.IN_REVIEW, Status.ESCALATED):
        # A possible same person to rule on: another clinic's member with this name and birth,
        # who has sent a request (elsewhere the workflow refuses the ruling before any candidate
        # is looked for).
        patient = make_patient(clinic, last_name="Twinning")
        twin = make_patient(team["lakeside"], member_id="TWIN-2", last_name="Twinning")
        make_case(team["lakeside"], patient=twin)
    case = make_case(
        clinic, patient=patient, facts=_facts(status, action), submit=status != Status.DRAFT
    )
    if status in (Status.DRAFT, Status.SUBMITTED):
        return case
    if status == Status.WITHDRAWN:
        return services.case_withdraw(actor=clinic, case=case, reason="Changed plan")
    if status == Status.ESCALATED:
        case = services.case_claim(actor=phil, case=case)
        case = services.case_escalate(actor=phil, case=case, reason="Needs a director")
        if action == Action.RELEASE and actor.is_medical_director:
            case = services.case_claim(actor=actor, case=case)
        return case
    case = services.case_claim(actor=holder, case=case)
    if status == Status.PENDED:
        case = services.case_pend(actor=holder, case=case, items=["HIV serology result"])
        if action == Action.CLAIM:
            case = services.case_release(actor=holder, case=case)
    elif status == Status.APPROVED:
        services.case_approve(actor=holder, case=case)
    elif status == Status.DENIED:
        services.case_deny(actor=holder, case=case, failed_criteria=["fix_activity"], reason="x")
    case.refresh_from_db()
    return case


def _perform(action: str, actor: User, case: Case, team: dict[str, User]) -> object:
    reason = REASONS.get(action, "")
    calls = {
        Action.SUBMIT: lambda: services.case_submit(actor=actor, case=case),
        Action.CLAIM: lambda: services.case_claim(actor=actor, case=case),
        Action.ASSIGN: lambda: services.case_assign(actor=actor, case=case, reviewer=team["dora"]),
        Action.RELEASE: lambda: services.case_release(actor=actor, case=case, reason=reason),
        Action.PEND: lambda: services.case_pend(
            actor=actor, case=case, items=["HIV serology result"], message=reason
        ),
        Action.ANSWER: lambda: services.case_answer_rfi(
            actor=actor, case=case, facts={"hiv_status": "negative"}, note=reason
        ),
        Action.ESCALATE: lambda: services.case_escalate(actor=actor, case=case, reason=reason),
        Action.APPROVE: lambda: services.case_approve(actor=actor, case=case, reason=reason),
        Action.DENY: lambda: services.case_deny(
            actor=actor, case=case, failed_criteria=["fix_activity"], reason=reason
        ),
        Action.WITHDRAW: lambda: services.case_withdraw(actor=actor, case=case, reason=reason),
        Action.EDIT: lambda: services.case_update_draft(
            actor=actor, case=case, facts=approvable_facts(), urgency="standard"
        ),
        Action.ATTACH: lambda: services.document_attach(
            actor=actor,
            case=case,
            upload=SimpleUploadedFile("hiv.pdf", b"%PDF-1.4 lab report", "application/pdf"),
            kind="lab_report",
        ),
        Action.REMOVE_DOCUMENT: lambda: services.document_remove(
            actor=actor, document=stored_document(case, team["riverside"]), reason=reason
        ),
        Action.RULE: lambda: services.checklist_override(
            actor=actor, case=case, criterion_id="fix_activity", status="not_met", reason=reason
        ),
        Action.RULE_IDENTITY: lambda: services.identity_rule(
            actor=actor, case=case, other_member_key="TWIN2", ruling="different", reason=reason
        ),
    }
    return calls[action]()


def _escalated_pend(action: str, actor: User, team: dict[str, User]) -> Case:
    """A case a pharmacist escalated and a director pended. A director acting holds it (unheld
    for a claim); a pharmacist finds it unheld, so that only the table can refuse them (held by
    a director for a release); the clinic answers the director holding it."""
    clinic, phil = team["riverside"], team["phil"]
    director = actor if actor.is_medical_director else team["dana"]
    case = make_case(clinic, facts=_facts(Status.PENDED, action), claim_by=phil)
    case = services.case_escalate(actor=phil, case=case, reason="Needs a director")
    case = services.case_claim(actor=director, case=case)
    case = services.case_pend(actor=director, case=case, items=["HIV serology result"])
    unheld = action == Action.CLAIM or (actor.role == Role.PHARMACIST and action != Action.RELEASE)
    if unheld:
        case = services.case_release(actor=director, case=case)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(("action", "role"), list(itertools.product(ACTIONS, ROLES)))
def test_it_runs_or_refuses_every_move_on_a_pended_escalated_case_through_the_services(
    team: dict[str, User], action: str, role: str
) -> None:
    actor = team[ROLE_USER[role]]
    case = _escalated_pend(action, actor, team)
    expected = EXPECTED_ESCALATED.get((Status.PENDED, action))
    events_before = CaseEvent.objects.filter(case=case).count()
    if expected is None or role not in expected[1]:
        with pytest.raises((TransitionError, services.ServiceError)) as refused:
            _perform(action, actor, case, team)
        assert str(refused.value)
        after = Case.objects.get(pk=case.pk)
        assert (after.status, after.assigned_to_id) == (Status.PENDED, case.assigned_to_id)
        assert CaseEvent.objects.filter(case=case).count() == events_before
        return
    _perform(action, actor, case, team)
    case.refresh_from_db()
    assert case.status == expected[0]
    assert case.is_escalated
    event = CaseEvent.objects.filter(case=case, action=action).latest("id")
    assert (event.actor, event.from_status, event.to_status) == (actor, Status.PENDED, case.status)


@pytest.mark.parametrize(("status", "action", "role"), COMBINATIONS)
def test_it_runs_or_refuses_every_move_through_the_services(
    team: dict[str, User], status: Status, action: str, role: str
) -> None:
    actor = team[ROLE_USER[role]]
    case = _case_in(status, action, actor, team)
    assert case.status == status
    events_before = CaseEvent.objects.filter(case=case).count()
    started = timezone.now()

    if not _allowed(status, action, role):
        with pytest.raises((TransitionError, services.ServiceError)) as refused:
            _perform(action, actor, case, team)
        assert str(refused.value)
        case.refresh_from_db()
        assert case.status == status
        assert CaseEvent.objects.filter(case=case).count() == events_before
        return

    _perform(action, actor, case, team)
    case.refresh_from_db()
    assert case.status == EXPECTED[(status, action)][0]
    event = CaseEvent.objects.filter(case=case, action=action).latest("id")
    assert event.actor == actor
    assert event.actor_role == role
    assert (event.from_status, event.to_status) == (status, case.status)
    assert event.reason == REASONS.get(action, "")
    assert started <= event.created_at <= timezone.now() + timedelta(seconds=1)


def test_it_follows_the_lifecycle_the_payer_asked_for() -> None:
    """The table's shape, stated independently of it: what a loosened table would break."""
    moves = {(s, a): (m.to, m.roles) for (s, a), m in TRANSITIONS.items()}
    # Closed cases never move again.
    assert not [k for k in moves if k[0] in (Status.APPROVED, Status.DENIED, Status.WITHDRAWN)]
    # Approvals come only out of review or escalation; a denial also out of a pend the clinic
    # left unanswered (issue 16). On an escalated case every reviewer's move is a director's
    # (the clinic may still withdraw it).
    approving = {s for (s, a) in moves if a == Action.APPROVE}
    assert approving == {Status.IN_REVIEW, Status.ESCALATED}
    denying = {s for (s, a) in moves if a == Action.DENY}
    assert denying == {Status.IN_REVIEW, Status.ESCALATED, Status.PENDED}
    assert all(
        roles == {Role.MEDICAL_DIRECTOR}
        for (s, a), (_, roles) in moves.items()
        if s == Status.ESCALATED and a != Action.WITHDRAW
    )
    # Only the clinic withdraws, from any status before a decision; only the clinic answers.
    withdrawing = {s for (s, a) in moves if a == Action.WITHDRAW}
    assert withdrawing == {Status.DRAFT, *OPEN_STATUSES}
    assert all(
        roles == {Role.PRESCRIBER}
        for (s, a), (_, roles) in moves.items()
        if a in (Action.WITHDRAW, Action.ANSWER, Action.SUBMIT)
    )
    # submitted -> in review -> pended -> back in review.
    assert moves[(Status.SUBMITTED, Action.CLAIM)][0] == Status.IN_REVIEW
    assert moves[(Status.IN_REVIEW, Action.PEND)][0] == Status.PENDED
    assert moves[(Status.PENDED, Action.ANSWER)][0] == Status.IN_REVIEW
    assert moves[(Status.IN_REVIEW, Action.ESCALATE)][0] == Status.ESCALATED


def test_it_says_of_every_event_whether_the_clinic_sees_it_and_its_reason() -> None:
    actions = {v for k, v in vars(Action).items() if k.isupper()}
    sets = (workflow.CLINIC_WITH_REASON, workflow.CLINIC_WITHOUT_REASON, workflow.CLINIC_NEVER)
    assert set().union(*sets) == actions
    assert sum(len(s) for s in sets) == len(actions)  # each in one set only
