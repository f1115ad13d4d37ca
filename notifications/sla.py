"""The SLA sweep (Celery beat, every SLA_SWEEP_SECONDS): open cases whose clock is running and
whose due time is within REVIEW_DUE_SOON_HOURS, or past, are marked due soon or overdue and
their people told, exactly once per case and threshold (the sla_alert_once unique constraint).

Told: whoever holds the case, or the queue's reviewers when nobody does (the medical directors
for an escalated case), and the medical directors.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from reviews.models import OPEN_STATUSES, Case
from reviews.services import record_event

from .models import Kind, SlaAlert, Threshold
from .services import directors, notify, reviewers


def due_soon_window() -> timedelta:
    return timedelta(hours=int(settings.REVIEW_DUE_SOON_HOURS))


def sweep(now: datetime | None = None) -> int:
    """Alert every case that has crossed a threshold it was not alerted for; how many alerts."""
    now = now or timezone.now()
    running = Case.objects.filter(
        status__in=OPEN_STATUSES, due_at__isnull=False, clock_paused_at__isnull=True
    )
    # A paused clock (pended: the clinic holds the ball) moves its due time with the wall clock.
    crossing = running.filter(due_at__lt=now + due_soon_window())
    sent = 0
    for case in crossing.select_related("assigned_to").order_by("due_at", "pk"):
        assert case.due_at is not None
        threshold = Threshold.OVERDUE if case.due_at < now else Threshold.DUE_SOON
        sent += alert(case, threshold)
    return sent


def holders(case: Case) -> list[User]:
    if case.assigned_to is not None and case.assigned_to.is_active:
        return [case.assigned_to]
    # An escalated case is the directors' even while pended (reviews.workflow.move_for).
    return list(directors() if case.is_escalated else reviewers())


@transaction.atomic
def alert(case: Case, threshold: str) -> bool:
    """Record the alert and tell the people, or nothing if this threshold was alerted before."""
    assert case.due_at is not None
    try:
        with transaction.atomic():
            SlaAlert.objects.create(case=case, threshold=threshold, due_at=case.due_at)
    except IntegrityError:
        return False
    due = f"{timezone.localtime(case.due_at):%Y-%m-%d %H:%M %Z}"
    kind = Kind.OVERDUE if threshold == Threshold.OVERDUE else Kind.DUE_SOON
    notify(kind, case, [*holders(case), *directors()], due=due)
    record_event(case, None, f"sla_{threshold}", detail={"due_at": case.due_at.isoformat()})
    return True
