"""What every write shares: the event and audit row, the row lock, the role checks, the
workflow check, case references and queueing Celery work after the commit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.utils import timezone

from accounts.models import REVIEWER_ROLES, Role, User
from audit.log import deferred as audit_deferred
from audit.log import record as audit_record
from pa_portal.prepared import Prepared

from .. import outbox
from ..models import (
    Case,
    CaseEvent,
    Status,
)
from ..policy import current_policy_settings
from ..workflow import check_move
from .errors import NotAllowed


@contextmanager
def service_transaction() -> Iterator[None]:
    """transaction.atomic for a write, its audit rows written together at its end (the hash
    chain's lock is then held for that INSERT and the commit only: audit.log.deferred)."""
    with transaction.atomic(), audit_deferred():
        yield


def atomic[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """A service in a service_transaction."""

    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with service_transaction():
            return func(*args, **kwargs)

    return inner


def record_event(
    case: Case,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    detail: Mapping[str, Any] | None = None,
) -> CaseEvent:
    event = _event(case, actor, action, from_status, to_status, reason, detail)
    event.save(force_insert=True)
    _audit_event(event, actor)
    return event


def record_events(case: Case, actor: User | None, *moves: Mapping[str, Any]) -> list[CaseEvent]:
    """record_event() for several moves of one service, in one INSERT, in the order given; each
    move is record_event()'s keyword arguments, with its action."""
    events = [
        _event(
            case,
            actor,
            move["action"],
            move.get("from_status", ""),
            move.get("to_status", ""),
            move.get("reason", ""),
            move.get("detail"),
        )
        for move in moves
    ]
    CaseEvent.objects.bulk_create(events)
    for event in events:
        # What save() would have said: the receivers (notifications, PAS subscriptions) hear
        # of every event, however it was written.
        post_save.send(
            CaseEvent,
            instance=event,
            created=True,
            raw=False,
            using=event._state.db,
            update_fields=None,
        )
        _audit_event(event, actor)
    return events


def _event(
    case: Case,
    actor: User | None,
    action: str,
    from_status: str,
    to_status: str,
    reason: str,
    detail: Mapping[str, Any] | None,
) -> CaseEvent:
    return CaseEvent(
        case=case,
        actor=actor,
        actor_role=actor.role if actor else "system",
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail=dict(detail or {}),
    )


def _audit_event(event: CaseEvent, actor: User | None) -> None:
    # The same transaction writes the audit row: both exist or neither does.
    audit_record(
        action=f"case.{event.action}",
        actor=actor,
        case=event.case,
        detail={
            "from": event.from_status,
            "to": event.to_status,
            "reason": event.reason,
            **event.detail,
        },
    )


def _locked(case: Case | int, *, with_patient: bool = False) -> Case:
    """The case row, locked for this transaction; with_patient: its patient read in the same
    query (a decision's identity check and snapshot need it), the patient row not locked."""
    pk = case.pk if isinstance(case, Case) else case
    found = _LOCKED.one(with_patient, pk=pk)
    if found is None:
        raise Case.DoesNotExist(f"No case {pk}.")
    return found


def _locked_query(with_patient: bool, *, pk: int) -> QuerySet[Case]:
    # FOR NO KEY UPDATE: writers of the case still queue on it, but a row that merely points at
    # the case (an audit row, an event, a note) may be inserted meanwhile; its foreign key check
    # takes KEY SHARE, which plain FOR UPDATE blocks. Blocked there while holding the audit
    # chain's lock, a page view's audit row deadlocked with a service waiting for that lock
    # (the load test, issue 20). Nothing here changes a case's key.
    locked = Case.objects.select_for_update(no_key=True, of=("self",))
    if with_patient:
        locked = locked.select_related("patient")
    return locked.filter(pk=pk)


# Every service locks its case here: compiled once per join (pa_portal/prepared.py).
_LOCKED = Prepared(_locked_query, pk=int)


def _require_clinic(actor: User, organization_id: int) -> None:
    if actor.role != Role.PRESCRIBER or actor.organization_id != organization_id:
        raise NotAllowed("Only staff of the requesting clinic may do this.")


def _require_reviewer(actor: User) -> None:
    if actor.role not in REVIEWER_ROLES:
        raise NotAllowed("Only pharmacist reviewers and medical directors may do this.")


def _move(case: Case, actor: User, action: str) -> tuple[str, Status]:
    """Check the move against the workflow table; returns (from, to)."""
    move = check_move(case.status, action, actor.role, escalated=case.is_escalated)
    return case.status, move.destination(case.assigned_to_id)


def _next_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('reviews_case_reference_seq')")
        row = cursor.fetchone()
    assert row is not None
    return f"PA-{timezone.localdate():%Y}-{row[0]:06d}"


def _clock_hours(urgency: str) -> int:
    return current_policy_settings().clock_hours(urgency)


def _on_commit(task_name: str, *args: Any) -> None:
    """Queue a Celery task through the outbox: sent after the commit, or later by the relay."""
    outbox.enqueue(f"reviews.{task_name}", *args)
