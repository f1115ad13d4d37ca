"""Who is told of what, read from the case history: every move writes a CaseEvent in its own
transaction (reviews.services), and this receiver turns the events people must hear of into
notifications in that same transaction. So reviews never imports notifications, and a move and its
notification are committed, or rolled back, together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reviews.models import CaseEvent
from reviews.workflow import Action

from . import services

Handler = Callable[[CaseEvent], None]

HANDLERS: dict[str, Handler] = {
    Action.PEND: lambda event: services.case_pended(event.case),
    Action.APPROVE: lambda event: services.case_decided(event.case),
    Action.DENY: lambda event: services.case_decided(event.case),
    Action.LETTER: lambda event: services.letter_ready(event.case),
}


def _assigned(event: CaseEvent) -> None:
    reviewer = event.case.assigned_to
    if reviewer is not None and event.actor is not None:
        services.case_assigned(event.case, reviewer, event.actor)


def _escalated(event: CaseEvent) -> None:
    if event.actor is not None:  # only a reviewer escalates
        services.case_escalated(event.case, event.actor)


def _appeal(event: CaseEvent) -> None:
    # An appeal writes an event on the original case and one on the appeal: tell once.
    if "appeal_of" in event.detail:
        services.appeal_received(event.case)


HANDLERS[Action.ASSIGN] = _assigned
HANDLERS[Action.ESCALATE] = _escalated
HANDLERS[Action.APPEAL] = _appeal


def on_case_event(sender: Any, instance: CaseEvent, created: bool, **kwargs: Any) -> None:
    if created and (handler := HANDLERS.get(instance.action)) is not None:
        handler(instance)
