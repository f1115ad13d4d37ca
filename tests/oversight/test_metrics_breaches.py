"""The metrics page counts the SLA sweep's alerts: cases marked due soon and breaches."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications import sla
from oversight.metrics import review_metrics
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_it_counts_cases_marked_due_soon_and_overdue_by_urgency(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    late = make_case(riverside, claim_by=pharmacist)
    soon = make_case(riverside, urgency="expedited")
    make_case(riverside)  # far from due
    now = timezone.now()
    Case.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=1))
    Case.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=1))
    assert sla.sweep() == 2

    today = timezone.localdate()
    metrics = review_metrics(today, today)

    assert (metrics.standard.breached, metrics.standard.due_soon_alerts) == (1, 0)
    assert (metrics.expedited.breached, metrics.expedited.due_soon_alerts) == (0, 1)
    period = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    page = client_for(auditor).get(reverse("audit:metrics"), period)
    assert "Breached the review clock (marked overdue)" in page.content.decode()
