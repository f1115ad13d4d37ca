"""Every allowed move of a case, in one table. Anything not listed here is refused."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role

from .errors import ServiceError
from .models import Status


class Action:
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


@dataclass(frozen=True)
class Move:
    to: Status
    roles: frozenset[str]


CLINIC = frozenset({Role.PRESCRIBER})
REVIEWERS = frozenset({Role.PHARMACIST, Role.MEDICAL_DIRECTOR})
DIRECTOR = frozenset({Role.MEDICAL_DIRECTOR})

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
    # The answer goes back to the reviewer who asked (in review), or to the queue if released.
    (Status.PENDED, Action.ANSWER): Move(Status.IN_REVIEW, CLINIC),
    (Status.IN_REVIEW, Action.ESCALATE): Move(Status.ESCALATED, REVIEWERS),
    (Status.IN_REVIEW, Action.APPROVE): Move(Status.APPROVED, REVIEWERS),
    (Status.ESCALATED, Action.APPROVE): Move(Status.APPROVED, DIRECTOR),
    (Status.IN_REVIEW, Action.DENY): Move(Status.DENIED, REVIEWERS),
    (Status.ESCALATED, Action.DENY): Move(Status.DENIED, DIRECTOR),
    (Status.DRAFT, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.SUBMITTED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.IN_REVIEW, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.PENDED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
    (Status.ESCALATED, Action.WITHDRAW): Move(Status.WITHDRAWN, CLINIC),
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
}

ROLE_PLURALS = {
    Role.PRESCRIBER: "the requesting clinic's staff",
    Role.PHARMACIST: "pharmacist reviewers",
    Role.MEDICAL_DIRECTOR: "medical directors",
}


class TransitionError(ServiceError):
    """A move the workflow does not allow; the message is fit to show the user."""


def check_move(status: str, action: str, role: str) -> Move:
    current = Status(status)
    move = TRANSITIONS.get((current, action))
    if move is None:
        raise TransitionError(refusal(current, action))
    if role not in move.roles:
        who = " or ".join(label for r, label in ROLE_PLURALS.items() if r in move.roles)
        raise TransitionError(
            f"Only {who} may {PRESENT[action]} a case that is {_phrase(current)}; "
            "nothing was changed."
        )
    return move


def refusal(current: Status, action: str) -> str:
    if current in (Status.APPROVED, Status.DENIED):
        return f"This case was already decided ({current.label.lower()}); nothing was changed."
    if current == Status.WITHDRAWN:
        return "This case was withdrawn by the clinic; nothing was changed."
    return (
        f"A case that is {_phrase(current)} cannot be {VERBS.get(action, action)}; "
        "nothing was changed."
    )


def _phrase(status: Status) -> str:
    # "Pended: information requested" reads as just "pended" inside a sentence.
    return status.label.split(":")[0].lower()


def allowed_actions(status: str, role: str) -> list[str]:
    current = Status(status)
    return [a for (s, a), m in TRANSITIONS.items() if s == current and role in m.roles]


# Who may act on a case someone holds. The decision-making moves belong to the holder (or, for an
# unheld escalated case, to any medical director); releasing is for the holder or a director.
HOLDER_ONLY = frozenset({Action.PEND, Action.ESCALATE, Action.APPROVE, Action.DENY})


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


def available_actions(status: str, *, role: str, actor_id: int, holder_id: int | None) -> list[str]:
    """The moves one user may make on one case now: the table's and the holder rule's verdict."""
    available = []
    for action in allowed_actions(status, role):
        try:
            check_holder(action, role=role, actor_id=actor_id, holder_id=holder_id)
        except TransitionError:
            continue
        available.append(action)
    return available
