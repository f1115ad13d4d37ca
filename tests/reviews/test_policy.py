"""current_policy_settings(): the administrators' values over the environment's defaults."""

import json
from datetime import timedelta
from typing import Any

from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import User
from reviews.models import Case, PolicySetting
from reviews.policy import current_policy_settings, read_once
from tests.conftest import client_for
from tests.reviews.api.conftest import new_request


def env_defaults(settings: Settings) -> None:
    settings.REVIEW_CLOCK_HOURS = {"standard": 72, "expedited": 24}
    settings.REVIEW_CLOCK_PAUSES_WHILE_PENDED = True
    settings.DENIAL_REQUIRES_MEDICAL_DIRECTOR = False
    settings.AUTHORIZATION_VALID_DAYS = 180
    settings.APPEAL_DEADLINE_DAYS = 180


def test_it_uses_the_environment_without_a_row(settings: Settings, db: None) -> None:
    env_defaults(settings)
    settings.REVIEW_CLOCK_HOURS = {"standard": 96, "expedited": 12}
    policy = current_policy_settings()
    assert (policy.clock_hours("standard"), policy.clock_hours("expedited")) == (96, 12)
    assert policy.clock_pauses_while_pended is True


def test_it_overrides_only_the_fields_an_administrator_set(settings: Settings, db: None) -> None:
    env_defaults(settings)
    PolicySetting.objects.create(review_clock_hours_expedited=36, clock_pauses_while_pended=False)
    assert current_policy_settings().as_dict() == {
        "review_clock_hours_standard": 72,
        "review_clock_hours_expedited": 36,
        "clock_pauses_while_pended": False,
        "denial_requires_medical_director": False,
        "authorization_valid_days": 180,
        "appeal_deadline_days": 180,
    }


def test_it_reads_the_rules_once_a_request_and_afresh_after_a_save(
    settings: Settings, db: None, django_assert_num_queries: Any
) -> None:
    """Within read_once() (each request, PolicySettingsPerRequest) the row is read once, and a
    save inside it is seen at once; outside, every call reads the row (issue 20)."""
    env_defaults(settings)
    with django_assert_num_queries(2):
        current_policy_settings()
        current_policy_settings()
    with read_once():
        with django_assert_num_queries(1):
            assert current_policy_settings().clock_hours("expedited") == 24
            current_policy_settings()
        PolicySetting.objects.create(review_clock_hours_expedited=30)
        assert current_policy_settings().clock_hours("expedited") == 30
        row = PolicySetting.objects.get()
        row.review_clock_hours_expedited = 20
        row.save()
        assert current_policy_settings().clock_hours("expedited") == 20
    PolicySetting.objects.update(review_clock_hours_expedited=18)
    assert current_policy_settings().clock_hours("expedited") == 18


def test_each_request_reads_the_rules_in_force_when_it_starts(
    settings: Settings, riverside: User
) -> None:
    """A change made between two requests applies to the second (the clock of a new request)."""
    env_defaults(settings)
    client = client_for(riverside)
    clocks = []
    for hours in (24, 30):
        PolicySetting.objects.update_or_create(
            pk=1, defaults={"review_clock_hours_expedited": hours}
        )
        body = {
            **new_request(f"FEP-CLOCK-{hours}"),
            "urgency": "expedited",
            "expedite_reason": "Bleeding",
        }
        response = client.post(
            reverse("api:cases"), json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        case = Case.objects.get(pk=response.json()["id"])
        assert case.due_at is not None and case.submitted_at is not None
        clocks.append(case.due_at - case.submitted_at)
    assert clocks == [timedelta(hours=24), timedelta(hours=30)]
