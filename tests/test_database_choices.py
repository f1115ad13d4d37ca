"""Every field with choices is held to them by PostgreSQL too, not only by forms and services:
a value no code knows would fall through every rule that reads it (a token's role, a ruling,
a document's kind, a notification's delivery)."""

import pytest
from django.apps import apps
from django.db import models
from psycopg import errors

from accounts.models import User
from accounts.tokens import issue_token
from notifications.models import Notification
from reviews import services
from tests.audit.test_roles import app_connection
from tests.factories import make_case

OUR_APPS = {"accounts", "audit", "notifications", "oversight", "pas", "reviews"}


def _choice_fields() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        for field in model._meta.concrete_fields
        if field.choices
    ]


def _checked_values(model: type[models.Model]) -> dict[str, list[str]]:
    """field name -> the values a CHECK of the form Q(field__in=values) allows."""
    found = {}
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if not isinstance(constraint, models.CheckConstraint) or not isinstance(
            condition, models.Q
        ):
            continue
        if condition.negated or condition.connector != models.Q.AND:
            continue
        for child in condition.children:
            if isinstance(child, tuple) and child[0].endswith("__in"):
                found[child[0].removesuffix("__in")] = sorted(str(v) for v in child[1])
    return found


@pytest.mark.parametrize(
    ("model", "field"),
    _choice_fields(),
    ids=lambda x: getattr(x, "__name__", None) or getattr(x, "name", str(x)),
)
def test_it_checks_every_field_with_choices_in_postgresql(
    model: type[models.Model], field: models.Field
) -> None:
    values = sorted(str(value) for value, _ in field.flatchoices)
    assert _checked_values(model).get(field.name) == values, (
        f"{model.__name__}.{field.name} has choices but no CHECK ({field.name}__in=...) "
        "with exactly them"
    )


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_bogus_ruling_role_or_delivery_from_the_application(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist,
        case=case,
        criterion_id="fix_activity",
        status="not_met",
        reason="The lab report says 12 %.",
    )
    issue_token(riverside, "EHR")
    Notification.objects.create(
        recipient=riverside, kind="rfi", case=case, subject="S", body="B", delivery="digest"
    )
    with app_connection() as app:
        for statement, constraint in [
            ("UPDATE reviews_checklistoverride SET status = 'approved'", "override_status_valid"),
            ("UPDATE reviews_checklistoverride SET engine_status = ''", "engine_status_valid"),
            ("UPDATE accounts_apitoken SET role = 'superuser'", "api_token_role_valid"),
            ("UPDATE notifications_notification SET delivery = 'never'", "delivery_valid"),
        ]:
            with pytest.raises(errors.CheckViolation, match=constraint), app.transaction():
                app.execute(statement)
