"""The metrics page's From/To inputs show the period its figures are for (issue 16)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_fills_the_period_inputs_with_the_default_period(auditor: User) -> None:
    today = timezone.localdate()
    page = client_for(auditor).get(reverse("audit:metrics")).content.decode()
    first = (today - timedelta(days=29)).isoformat()
    assert f'name="date_from" value="{first}"' in page
    assert f'name="date_to" value="{today.isoformat()}"' in page


def test_it_fills_the_missing_end_of_a_chosen_period(auditor: User) -> None:
    today = timezone.localdate()
    page = client_for(auditor).get(reverse("audit:metrics"), {"date_from": "2026-01-01"})
    html = page.content.decode()
    assert 'name="date_from" value="2026-01-01"' in html
    assert f'name="date_to" value="{today.isoformat()}"' in html
