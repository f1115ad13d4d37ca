"""Every allowed move of a case, in one table. Anything not listed here is refused."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role

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


class TransitionError(Exception):
    """A move the workflow does not allow; the message is fit to show the user."""


def check_move(status: str, action: str, role: str) -> Move:
    current = Status(status)
    move = TRANSITIONS.get((current, action))
    if move is None:
        raise TransitionError(refusal(current, action))
    if role not in move.roles:
        raise TransitionError(
            f"Your role may not {action.replace('_', ' ')} a case that is {current.label.lower()}."
        )
    return move


def refusal(current: Status, action: str) -> str:
    if current in (Status.APPROVED, Status.DENIED):
        return f"This case was already decided ({current.label.lower()}); nothing was changed."
    if current == Status.WITHDRAWN:
        return "This case was withdrawn by the clinic; nothing was changed."
    return (
        f"A case that is {current.label.lower()} cannot be {VERBS.get(action, action)}; "
        "nothing was changed."
    )


def allowed_actions(status: str, role: str) -> list[str]:
    current = Status(status)
    return [a for (s, a), m in TRANSITIONS.items() if s == current and role in m.roles]
