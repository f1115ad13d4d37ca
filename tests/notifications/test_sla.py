"""The SLA sweep: due soon and overdue, each told exactly once per case, by the real worker."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from notifications import sla
from notifications.models import Kind, Notification, SlaAlert
from notifications.tasks import sla_sweep
from pa_portal.celery import app as celery_app
from reviews.models import Case
from tests.factories import make_case


def _due_in(case: Case, delta: timedelta) -> None:
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() + delta)


def _told(case: Case, kind: str) -> list[str]:
    notes = Notification.objects.filter(case=case, kind=kind).order_by("recipient__username")
    return [n.recipient.username for n in notes]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_notifies_a_due_soon_case_once_per_threshold_through_the_real_worker(
    celery_worker_process: subprocess.Popen[bytes],
    riverside: User,
    pharmacist: User,
    director: User,
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    _due_in(case, timedelta(hours=2))

    assert sla_sweep.delay().get(timeout=30) == 1
    assert sla_sweep.delay().get(timeout=30) == 0

    # The holder and the medical director, once each.
    assert _told(case, Kind.DUE_SOON) == ["dana", "phil"]
    assert SlaAlert.objects.filter(case=case).count() == 1
    assert case.events.filter(action="sla_due_soon").count() == 1

    _due_in(case, timedelta(minutes=-5))
    assert sla_sweep.delay().get(timeout=30) == 1
    assert sla_sweep.delay().get(timeout=30) == 0

    assert _told(case, Kind.OVERDUE) == ["dana", "phil"]
    assert _told(case, Kind.DUE_SOON) == ["dana", "phil"]
    assert sorted(SlaAlert.objects.filter(case=case).values_list("threshold", flat=True)) == [
        "due_soon",
        "overdue",
    ]


def test_it_tells_the_queues_reviewers_when_nobody_holds_the_case(
    db: None, riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside)
    _due_in(case, timedelta(hours=1))

    assert sla.sweep() == 1

    assert _told(case, Kind.DUE_SOON) == ["dana", "phil"]


def test_it_leaves_cases_far_from_due_paused_or_decided_alone(
    db: None, riverside: User, pharmacist: User
) -> None:
    from reviews import services

    far = make_case(riverside, claim_by=pharmacist)
    _due_in(far, timedelta(hours=30))
    pended = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pended, items=["Lab report"])
    _due_in(pended, timedelta(hours=-1))
    decided = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=decided)
    _due_in(decided, timedelta(hours=-1))

    assert sla.sweep() == 0
    assert not SlaAlert.objects.exists()


def test_it_schedules_the_sweep_and_the_digest_in_celery_beat() -> None:
    schedule = celery_app.conf.beat_schedule
    assert schedule["notifications-sla-sweep"]["task"] == "notifications.sla_sweep"
    assert schedule["notifications-digests"]["task"] == "notifications.send_digests"
