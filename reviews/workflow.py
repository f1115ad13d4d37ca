"""Every allowed move of a case, in one table, and every rule of the form "may this happen to a
case in this status, by this role": anything not listed here is refused.

One rule changes the table's moves for a case once escalated (move_for): it stays the medical
directors' until decided or withdrawn, whatever its status.

Action also names every case event (the moves and the events that change no status), and
ACTION_LABELS is the one place that says each in words.

PostgreSQL refuses any other status change (reviews migration 0017 holds the (from, to) pairs
as they were then): a new status move here needs a migration that replaces reviews_case_guard(),
and tests/reviews/test_database_walls.py fails until it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.models import CLINIC_ROLES, DIRECTOR_ROLES, REVIEWER_ROLES, Role

from .errors import ServiceError
from .models import Status
from .text import is_blank

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Case


class Action:
    # Moves: each is in TRANSITIONS for the statuses it is allowed from.
    SUBMIT = "submit"
    CLAIM = "claim"
    ASSIGN = "assign"
    RELEASE = "release"
    PEND = "pend"
    ANSWER = "answer_rfi"
    ESCALATE = "escalate"
    APPROVE = "approve"
    DENY = "deny"
    WITHDRAW = "withdraw"
    EDIT = "draft_saved"  # change a draft's facts and details
    ATTACH = "document_added"  # attach a document
    REMOVE_DOCUMENT = "document_removed"  # the clinic takes back a document it attached
    RULE = "override"  # rule on a checklist line
    RULE_IDENTITY = "identity_ruling"  # rule on a possible same person
    # Events that are not a clinic's or reviewer's move on the case's status.
    CREATE = "created"
    LETTER = "letter_generated"
    VOID = "authorization_voided"
    CORRECT_MEMBER = "member_id_corrected"
    # The clinic appeals a denial: the denied case does not move, the appeal is a case of its
    # own (services.appeals; check_appeal below).
    APPEAL = "appeal_filed"


MOVES = (
    Action.SUBMIT,
    Action.CLAIM,
    Action.ASSIGN,
    Action.RELEASE,
    Action.PEND,
    Action.ANSWER,
    Action.ESCALATE,
    Action.APPROVE,
    Action.DENY,
    Action.WITHDRAW,
    Action.EDIT,
    Action.ATTACH,
    Action.REMOVE_DOCUMENT,
    Action.RULE,
    Action.RULE_IDENTITY,
)

# The one table of words for every event, as the case history shows it.
ACTION_LABELS = {
    Action.CREATE: "Draft created",
    Action.EDIT: "Draft saved",
    Action.SUBMIT: "Submitted",
    Action.CLAIM: "Taken for review",
    Action.ASSIGN: "Assigned",
    Action.RELEASE: "Returned to the queue",
    Action.PEND: "Information requested",
    Action.ANSWER: "Information sent",
    Action.ESCALATE: "Escalated to the medical director",
    Action.APPROVE: "Approved",
    Action.DENY: "Denied",
    Action.WITHDRAW: "Withdrawn",
    Action.ATTACH: "Document attached",
    Action.REMOVE_DOCUMENT: "Document removed by the clinic",
    Action.RULE: "Checklist line ruled",
    Action.RULE_IDENTITY: "Possible same person ruled",
    Action.APPEAL: "Appeal filed",
    Action.LETTER: "Determination letter ready",
    Action.VOID: "Authorization voided by an administrator",
    Action.CORRECT_MEMBER: "Member ID corrected by an administrator",
}


# What the clinic's history shows of each event. The clinic's own moves, the request for
# information and the decision keep their words (the letter states the decision's reasons
# anyway); the payer's working moves show without their reasons, which are written for colleagues;
# rulings on checklist lines and on a possible same person (which name other clinics' members)
# and the review clocks' alerts are the payer's alone. An action not listed is not shown.
CLINIC_WITH_REASON = frozenset(
    {
        Action.CREATE,
        Action.EDIT,
        Action.SUBMIT,
        Action.ATTACH,
        Action.REMOVE_DOCUMENT,
        Action.PEND,
        Action.ANSWER,
        Action.WITHDRAW,
        Action.APPROVE,
        Action.DENY,
        Action.APPEAL,
        Action.LETTER,
    }
)
CLINIC_WITHOUT_REASON = frozenset(
    {
        Action.CLAIM,
        Action.ASSIGN,
        Action.RELEASE,
        Action.ESCALATE,
        Action.VOID,
        Action.CORRECT_MEMBER,
    }
)
CLINIC_NEVER = frozenset({Action.RULE, Action.RULE_IDENTITY})  # nor the clocks' sla_* alerts


@dataclass(frozen=True)
class Move:
    to: Status
    roles: frozenset[str]
    # Where the move goes instead when nobody holds the case (an answer to a released pend).
    unheld_to: Status | None = None

    def destination(self, holder_id: int | None) -> Status:
        return self.unheld_to if holder_id is None and self.unheld_to is not None else self.to


CLINIC = CLINIC_ROLES
REVIEWERS = REVIEWER_ROLES
DIRECTOR = DIRECTOR_ROLES

TRANSITIONS: dict[tuple[Status, str], Move] = {
    (Status.DRAFT, Action.SUBMIT): Move(Status.SUBMITTED, CLINIC),
    (Status.SUBMITTED, Action.CLAIM): Move(Status.IN_REVIEW, REVIEWERS),
    (Status.SUBMITTED, Action.ASSIGN): Move(Status.IN_REVIEW, REVIEWERS),
    (Status.IN_REVIEW, Action.ASSIGN): Move(Status.IN_REVIEW, REVIEWERS),
    (Status.IN_REVIEW, Action.RELEASE): Move(Status.SUBMITTED, REVIEWERS),
    # Who holds a pended case can change while the clinic answers; the status does not.
    (Status.PENDED, Action.CLAIM): Move(Status.PENDED, REVIEWERS),
    (Status.PENDED, Action.ASSIGN): Move(Status.PENDED, REVIEWERS),
    (Status.PENDED, Action.RELEASE): Move(Status.PENDED, REVIEWERS),
    # An escalated case stays escalated while medical directors share it out among themselves.
    (Status.ESCALATED, Action.CLAIM): Move(Status.ESCALATED, DIRECTOR),
    (Status.ESCALATED, Action.ASSIGN): Move(Status.ESCALATED, DIRECTOR),
    (Status.ESCALATED, Action.RELEASE): Move(Status.ESCALATED, DIRECTOR),
    (Status.IN_REVIEW, Action.PEND): Move(Status.PENDED, REVIEWERS),
    (Status.ESCALATED, Action.PEND): Move(Status.PENDED, DIRECTOR),
    # The answer goes back to the reviewer who asked (in review), or to the queue if released;
    # an escalated case's goes back to the directors (escalated: move_for).
    (Status.PENDED, Action.ANSWER): Move(Status.IN_REVIEW, CLINIC, unheld_to=Status.SUBMITTED),
    (Status.IN_REVIEW, Action.ESCALATE): Move(Status.ESCALATED, REVIEWERS),
    (Status.IN_REVIEW, Action.APPROVE): Move(Status.APPROVED, REVIEWERS),
    (Status.ESCALATED, Action.APPROVE): Move(Status.APPROVED, DIRECTOR),
    (Status.IN_REVIEW, Action.DENY): Move(Status.DENIED, REVIEWERS),
    (Status.ESCALATED, Action.DENY): Move(Status.DENIED, DIRECTOR),
    # A request for information the clinic leaves unanswered must not hold the case open for
    # ever: whoever holds the pended case may deny it (issue 16; see DenialBasis.UNANSWERED).
    (Status.PENDED, Action.DENY): Move(Status.DENIED, REVIEWERS),
    (Status.DRAFT, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.SUBMITTED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.IN_REVIEW, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.PENDED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.ESCALATED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    # Only a draft is edited; after the submit, changes come as an answer to a pend.
    (Status.DRAFT, Action.EDIT): Move(Status.DRAFT, CLINIC),
    # Documents go with a draft or with the answer to a request for information.
    (Status.DRAFT, Action.ATTACH): Move(Status.DRAFT, CLINIC),
    (Status.PENDED, Action.ATTACH): Move(Status.PENDED, CLINIC),
    # ... and may be taken back while they still could be added (a wrong file, another patient's).
    (Status.DRAFT, Action.REMOVE_DOCUMENT): Move(Status.DRAFT, CLINIC),
    (Status.PENDED, Action.REMOVE_DOCUMENT): Move(Status.PENDED, CLINIC),
    # Rulings (a checklist line, a possible same person) are for whoever may decide the case now.
    (Status.IN_REVIEW, Action.RULE): Move(Status.IN_REVIEW, REVIEWERS),
    (Status.ESCALATED, Action.RULE): Move(Status.ESCALATED, DIRECTOR),
    (Status.IN_REVIEW, Action.RULE_IDENTITY): Move(Status.IN_REVIEW, REVIEWERS),
    (Status.ESCALATED, Action.RULE_IDENTITY): Move(Status.ESCALATED, DIRECTOR),
}

VERBS = {
    Action.SUBMIT: "submitted",
    Action.CLAIM: "claimed",
    Action.ASSIGN: "assigned",
    Action.RELEASE: "released",
    Action.PEND: "pended",
    Action.ANSWER: "answered",
    Action.ESCALATE: "escalated",
    Action.APPROVE: "approved",
    Action.DENY: "denied",
    Action.WITHDRAW: "withdrawn",
    Action.EDIT: "edited",
    Action.ATTACH: "given documents",
    Action.REMOVE_DOCUMENT: "stripped of documents",
    Action.RULE: "ruled on",
    Action.RULE_IDENTITY: "ruled on",
}


PRESENT = {
    Action.SUBMIT: "submit",
    Action.CLAIM: "claim",
    Action.ASSIGN: "assign",
    Action.RELEASE: "release",
    Action.PEND: "pend",
    Action.ANSWER: "answer a request for information on",
    Action.ESCALATE: "escalate",
    Action.APPROVE: "approve",
    Action.DENY: "deny",
    Action.WITHDRAW: "withdraw",
    Action.EDIT: "edit",
    Action.ATTACH: "attach documents to",
    Action.REMOVE_DOCUMENT: "remove documents from",
    Action.RULE: "rule on the checklist of",
    Action.RULE_IDENTITY: "rule on the patient of",
}

ROLE_PLURALS = {
    Role.PRESCRIBER: "the requesting clinic's staff",
    Role.PHARMACIST: "pharmacist reviewers",
    Role.MEDICAL_DIRECTOR: "medical directors",
}


class TransitionError(ServiceError):
    """A move the workflow does not allow; the message is fit to show the user."""


# The statuses of a case the pharmacists work: an escalated case never returns to them.
PHARMACIST_STATUSES = frozenset({Status.SUBMITTED, Status.IN_REVIEW})


def move_for(status: str, action: str, *, escalated: bool) -> Move | None:
    """The table's move, as it holds for this case.

    Once escalated, a case is the medical directors' until it is decided or withdrawn, whatever
    its status: a director's pend once went, with the clinic's answer, back to review or the
    shared queue, where any pharmacist could take and decide it (security audit). So on an
    escalated case every payer move is the directors' alone, and a move that would hand it back
    to the pharmacists (the answer to a pend) returns it to ESCALATED instead: to the director
    who holds it, else to the directors' queue. One rule over the table, not a second table,
    so a row added to it later is covered too.
    """
    move = TRANSITIONS.get((Status(status), action))
    if move is None or not escalated:
        return move
    return Move(
        _kept_escalated(move.to),
        # The clinic's moves (answer, attach, withdraw) are no director's and stay the clinic's.
        move.roles & DIRECTOR or move.roles,
        unheld_to=_kept_escalated(move.unheld_to) if move.unheld_to is not None else None,
    )


def status_moves() -> set[tuple[str, str]]:
    """Every (from, to) change of status a move can make, for a case escalated or not (a draft
    never is): PostgreSQL's case guard allows these and no other (reviews migration 0017)."""
    moves = set()
    for status, action in TRANSITIONS:
        for escalated in (False, True) if status != Status.DRAFT else (False,):
            move = move_for(status, action, escalated=escalated)
            assert move is not None
            for to in (move.to, move.unheld_to):
                if to is not None and to != status:
                    moves.add((status.value, to.value))
    return moves


def _kept_escalated(status: Status) -> Status:
    return Status.ESCALATED if status in PHARMACIST_STATUSES else status


def check_move(status: str, action: str, role: str, *, escalated: bool) -> Move:
    current = Status(status)
    move = move_for(current, action, escalated=escalated)
    if move is None:
        raise TransitionError(refusal(current, action))
    if role not in move.roles:
        who = " or ".join(label for r, label in ROLE_PLURALS.items() if r in move.roles)
        # "a case that is pended" would not say why a pharmacist may not claim this one.
        which = "an escalated case" if escalated and current != Status.ESCALATED else "a case"
        raise TransitionError(
            f"Only {who} may {PRESENT[action]} {which} that is {_phrase(current)}; "
            "nothing was changed."
        )
    return move


# Refusals that say more than "cannot be <verb>": what to do instead.
REFUSALS = {
    Action.EDIT: "This request was submitted and is frozen; changes go through an answer to a "
    "request for information; nothing was changed.",
    Action.ATTACH: "Documents can be added to a draft or in answer to a request for information; "
    "nothing was changed.",
    Action.REMOVE_DOCUMENT: "Documents can be removed from a draft or while answering a request "
    "for information; nothing was changed.",
    Action.RULE: "Checklist lines can be ruled on only while the case is in review or escalated; "
    "nothing was changed.",
}


def refusal(current: Status, action: str) -> str:
    if current in (Status.APPROVED, Status.DENIED):
        return f"This case was already decided ({current.label.lower()}); nothing was changed."
    if current == Status.WITHDRAWN:
        return "This case was withdrawn by the clinic; nothing was changed."
    if action in REFUSALS:
        return REFUSALS[action]
    return (
        f"A case that is {_phrase(current)} cannot be {VERBS.get(action, action)}; "
        "nothing was changed."
    )


def _phrase(status: Status) -> str:
    # "Pended: information requested" reads as just "pended" inside a sentence.
    return status.label.split(":")[0].lower()


def may(status: str, action: str, role: str, *, escalated: bool) -> bool:
    """Whether the table allows this move from this status to this role (holder aside)."""
    move = move_for(status, action, escalated=escalated)
    return move is not None and role in move.roles


def allowed_actions(status: str, role: str, *, escalated: bool) -> list[str]:
    current = Status(status)
    return [
        a for (s, a) in TRANSITIONS if s == current and may(current, a, role, escalated=escalated)
    ]


# Who may act on a case someone holds. The decision-making moves belong to the holder (or, for an
# unheld escalated case, to any medical director); releasing is for the holder or a director.
HOLDER_ONLY = frozenset(
    {Action.PEND, Action.ESCALATE, Action.APPROVE, Action.DENY, Action.RULE, Action.RULE_IDENTITY}
)


def check_holder(
    action: str, *, role: str, actor_id: int, holder_id: int | None, holder_name: str = ""
) -> None:
    """Refuse a move the table allows but that belongs to whoever holds the case."""
    if action == Action.CLAIM and holder_id is not None:
        if holder_id == actor_id:
            raise TransitionError("You already have this case.")
        raise TransitionError(f"{holder_name} already has this case; nothing was changed.")
    if action == Action.RELEASE:
        if holder_id is None:
            raise TransitionError("Nobody holds this case, so there is nothing to release.")
        if holder_id != actor_id and role != Role.MEDICAL_DIRECTOR:
            raise TransitionError(
                f"{holder_name} holds this case; only they or a medical director may release it."
            )
    if action in HOLDER_ONLY and holder_id not in (None, actor_id):
        raise TransitionError(
            f"{holder_name} holds this case; claim it or have it assigned to you first. "
            "Nothing was changed."
        )


def check_assignee(status: str, *, role: str, escalated: bool) -> None:
    """A case is assigned only to someone who may work it: an escalated case, pended or not,
    to a medical director (the roles the table lets assign it)."""
    move = move_for(status, Action.ASSIGN, escalated=escalated)
    if move is not None and role not in move.roles:
        raise TransitionError(
            "An escalated case can only be assigned to a medical director; nothing was changed."
        )


def check_appeal(status: str, role: str) -> None:
    """An appeal is filed by the requesting clinic's staff, of a denied case only. The denied
    case does not move (closed cases never do): the appeal is a new case linked to it."""
    if role not in CLINIC_ROLES:
        raise TransitionError("Only the requesting clinic's staff may appeal; nothing was changed.")
    if status != Status.DENIED:
        raise TransitionError("Only a denied request can be appealed; nothing was changed.")


def check_appeal_decider(*, role: str, actor_id: int, original_decider_id: int | None) -> None:
    """An appeal is decided only by a medical director who did not decide the appealed case
    (NCQA UM: a practitioner not involved in the denial). PostgreSQL checks the same when the
    decision is written (migration 0008_appeals)."""
    if role != Role.MEDICAL_DIRECTOR:
        raise TransitionError(
            "Only a medical director may decide an appeal; escalate it instead. Nothing was changed."
        )
    if actor_id == original_decider_id:
        raise TransitionError(
            "You made the decision this appeal is about; another medical director must decide "
            "the appeal. Nothing was changed."
        )


# Internal notes (issue 16): the payer staff's own record on a case, never shown to the clinic.
# Not a move: no status changes and no case event is written (the clinic reads the case history);
# the audit log has each note. Any case the payer can see, decided ones included.
NOTE_STATUSES = frozenset(Status) - {Status.DRAFT}


def check_internal_note(status: str, role: str) -> None:
    """Refuse an internal note by anyone but a reviewer or medical director, or on a draft."""
    if role not in REVIEWERS:
        raise TransitionError(
            "Only pharmacist reviewers and medical directors may add internal notes; "
            "nothing was changed."
        )
    if Status(status) not in NOTE_STATUSES:
        raise TransitionError("A draft is the clinic's until it is submitted; nothing was changed.")


class DenialBasis:
    """What a denial rests on (issue 16): lines that stand not met; lines still unknown after
    the clinic was asked for the information and did not provide it; or a medical director's
    clinical judgment, explained in words."""

    NOT_MET = "criteria_not_met"
    UNANSWERED = "information_not_provided"
    JUDGMENT = "clinical_judgment"


DENIAL_BASIS_LABELS = {
    DenialBasis.NOT_MET: "Criteria not met",
    DenialBasis.UNANSWERED: "Information requested and not provided",
    DenialBasis.JUDGMENT: "Medical director's clinical judgment",
}

# Who may deny on each basis (the table above says who may deny at all).
DENIAL_BASIS_ROLES: dict[str, frozenset[str]] = {
    DenialBasis.NOT_MET: frozenset(REVIEWERS),
    DenialBasis.UNANSWERED: frozenset(REVIEWERS),
    DenialBasis.JUDGMENT: frozenset(DIRECTOR),
}


def denial_bases(role: str) -> list[str]:
    """The bases this role may deny on, in the order a form offers them."""
    return [basis for basis, roles in DENIAL_BASIS_ROLES.items() if role in roles]


def check_denial_basis(
    basis: str,
    *,
    role: str,
    cited: dict[str, str],
    information_requested: bool,
    explanation: str,
) -> None:
    """Refuse a denial its basis does not carry. cited: each cited line's standing status."""
    if basis not in DENIAL_BASIS_ROLES:
        raise ServiceError("Choose what the denial rests on; nothing was changed.")
    if role not in DENIAL_BASIS_ROLES[basis]:
        raise TransitionError(
            "Only a medical director may deny on clinical judgment; escalate the case instead. "
            "Nothing was changed."
        )
    if basis == DenialBasis.JUDGMENT:
        if is_blank(explanation):
            raise ServiceError(
                "A denial on clinical judgment needs the medical director's explanation; "
                "nothing was changed."
            )
        return
    if not cited:
        raise ServiceError("Choose at least one criterion the request fails.")
    wanted = "not_met" if basis == DenialBasis.NOT_MET else "unknown"
    if basis == DenialBasis.UNANSWERED and not information_requested:
        raise ServiceError(
            "No request for information was sent on this case: pend it and ask first, or deny "
            "on clinical judgment. Nothing was changed."
        )
    if wrong := [c for c, status in cited.items() if status != wanted]:
        raise ServiceError(
            f"{len(wrong)} cited line(s) do not stand "
            f"{'not met' if wanted == 'not_met' else 'unknown'}: choose the basis that fits "
            "each line, or rule on the line with the evidence first. Nothing was changed."
        )


def awaits_answer(status: str) -> bool:
    """Whether a request for information on a case in this status can still be answered. The
    answer is a move from pended alone: one left unanswered when the case was withdrawn or
    decided is closed, not open (selectors.case_record)."""
    return move_for(status, Action.ANSWER, escalated=False) is not None


def claimable_statuses(role: str, *, escalated: bool) -> list[Status]:
    """The statuses in which this role may claim an unheld case, escalated or not: what the
    reviewer's queue offers them (selectors.reviewer_queue)."""
    return [s for s in Status if may(s, Action.CLAIM, role, escalated=escalated)]


def available_actions(
    status: str, *, role: str, actor_id: int, holder_id: int | None, escalated: bool
) -> list[str]:
    """The moves one user may make on one case now: the table's and the holder rule's verdict."""
    available = []
    for action in allowed_actions(status, role, escalated=escalated):
        try:
            check_holder(action, role=role, actor_id=actor_id, holder_id=holder_id)
        except TransitionError:
            continue
        available.append(action)
    return available


def actions_on(case: Case, user: User) -> list[str]:
    """available_actions for one case as it stands (status, holder, escalation) and one user."""
    return available_actions(
        case.status,
        role=user.role,
        actor_id=user.pk,
        holder_id=case.assigned_to_id,
        escalated=case.is_escalated,
    )
