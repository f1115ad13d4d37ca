"""GET forms for the auditor's pages: they filter what is shown and never change anything."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from accounts.models import Organization

from .queries import action_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_PERIOD_DAYS = 30
# The dates a filter may name: 0001-01-01 or 9999-12-31 would overflow when turned into the
# period's bounds (a day before, a day after, in the portal's time zone).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def _date_field(label: str) -> forms.DateField:
    message = f"Enter a date from {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}."
    return forms.DateField(
        required=False,
        label=label,
        widget=DATE,
        validators=[
            MinValueValidator(FIRST_DAY, message=message),
            MaxValueValidator(LAST_DAY, message=message),
        ],
    )


def _get_helper(*rows: Any, button: str) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "get"
    helper.disable_csrf = True  # a search changes nothing, and the URL should be shareable
    submit = StrictButton(button, type="submit", css_class="btn-primary w-100")
    helper.layout = Layout(Row(*rows, Column(submit, css_class="col-12 col-lg-auto mt-lg-4 mb-3")))
    return helper


def _columns(fields: Any, wide: str) -> list[Column]:
    # On a phone the two dates share a line; everything else takes the full width.
    return [
        Column(
            name, css_class=f"{'col-6' if name.startswith('date_') else 'col-12 col-sm-6'} {wide}"
        )
        for name in fields
    ]


def _check_range(form: forms.Form, cleaned: dict[str, Any]) -> None:
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and end < start:
        form.add_error("date_to", "The end date is before the start date.")


class LogFilterForm(forms.Form):
    user = forms.CharField(
        required=False, max_length=150, label="User", help_text="Username (also failed logins)."
    )
    case = forms.CharField(required=False, max_length=20, label="Case reference")
    clinic = forms.ModelChoiceField(
        Organization.objects.all(), required=False, empty_label="Any clinic"
    )
    action = forms.ChoiceField(required=False)
    date_from = _date_field("From")
    date_to = _date_field("To")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action"), *action_choices()]
        self.helper = _get_helper(*_columns(self.fields, "col-lg"), button="Search")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_range(self, cleaned)
        return cleaned


class PeriodForm(forms.Form):
    """A reporting period (both ends included) and optionally one clinic."""

    date_from = _date_field("From")
    date_to = _date_field("To")
    clinic = forms.ModelChoiceField(
        Organization.objects.all(), required=False, empty_label="All clinics"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _get_helper(*_columns(self.fields, "col-lg-3"), button="Show")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # An empty period means the last 30 days, so the page is useful on first open.
        end: date = cleaned.get("date_to") or timezone.localdate()
        cleaned["date_to"] = end
        cleaned["date_from"] = cleaned.get("date_from") or end - timedelta(
            days=DEFAULT_PERIOD_DAYS - 1
        )
        _check_range(self, cleaned)
        return cleaned
