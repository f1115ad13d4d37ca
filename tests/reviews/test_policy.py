"""current_policy_settings(): the administrators' values over the environment's defaults."""

from pytest_django.fixtures import Settings

from reviews.models import PolicySetting
from reviews.policy import current_policy_settings


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
