"""Forms of the reviewer workbench. They check input shape only; the services decide the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from accounts.models import DIRECTOR_ROLES, REVIEWER_ROLES, Organization, User

from . import labels, services
from .models import (
    INTERNAL_NOTE_MAX_LENGTH,
    ChecklistOverride,
    IdentityRuling,
    Status,
    Urgency,
)
from .selectors import QUEUE_SORTS
from .text import is_blank
from .workflow import DENIAL_BASIS_LABELS, DenialBasis, denial_bases


def _blank(label: str, choices: Any) -> list[tuple[str, str]]:
    return [("", label), *[(str(value), str(text)) for value, text in choices]]


SORT_LABELS = {
    "due": "Due time, soonest first",
    "-due": "Due time, latest first",
    "urgency": "Expedited first",
    "-urgency": "Standard first",
    "clinic": "Clinic, A to Z",
    "-clinic": "Clinic, Z to A",
    "status": "Status",
    "-status": "Status, reversed",
    "submitted": "Submitted, oldest first",
    "-submitted": "Submitted, newest first",
}


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string (GET)."""

    scope = forms.ChoiceField(
        required=False,
        choices=[("", "Unassigned and mine"), ("unassigned", "Unassigned"), ("mine", "Mine")],
        label="Show",
    )
    status = forms.ChoiceField(
        required=False,
        choices=_blank("Any open status", [c for c in Status.choices if c[0] != Status.DRAFT]),
    )
    urgency = forms.ChoiceField(required=False, choices=_blank("Any urgency", Urgency.choices))
    # Ids and names in one small query per form (a ModelChoiceField built a model per clinic
    # through a server-side cursor, and queried again to clean the choice).
    clinic = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    due = forms.ChoiceField(
        required=False,
        choices=[("", "Any due time"), ("overdue", "Overdue"), ("soon", "Due soon")],
    )
    q = forms.CharField(required=False, max_length=30, label="Reference or member ID", strip=True)
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[(key, SORT_LABELS[key]) for key in QUEUE_SORTS],
        # Swapped out of band when a column header re-sorts the results (htmx).
        widget=forms.Select(attrs={"class": "form-select", "hx-swap-oob": "true"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinics = Organization.objects.order_by("name").values_list("pk", "name")
        self.fields["clinic"].choices = [("", "Any clinic"), *clinics]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    """Claim, release and approve: an optional note for the case history."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    """An internal note: payer staff only, never shown to the clinic (issue 16). Django's
    CharField already refuses NUL characters; the service checks again for other doors."""

    body = forms.CharField(
        max_length=INTERNAL_NOTE_MAX_LENGTH,
        label="Add an internal note",
        help_text="Seen by pharmacists, medical directors and auditors only; never by the clinic. "
        "Notes cannot be edited or deleted.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the note first; nothing was saved."},
    )


class IdentityRulingForm(forms.Form):
    """Whether another member (same last name, birth date and sex at birth) is this patient."""

    other_member_key = forms.CharField(max_length=30, widget=forms.HiddenInput)
    ruling = forms.ChoiceField(
        choices=IdentityRuling.Ruling.choices,
        widget=forms.RadioSelect,
        label="Is this the same person?",
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label="How you know",
        help_text="Required for a different person (e.g. the plan confirmed two members).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewerChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class AssignForm(forms.Form):
    reviewer = ReviewerChoiceField(queryset=User.objects.none(), label="Assign to")
    reason = forms.CharField(required=False, max_length=2000, label="Note (optional)")

    def __init__(self, *args: Any, escalated: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An escalated case goes only to a medical director.
        roles = DIRECTOR_ROLES if escalated else REVIEWER_ROLES
        field = self.fields["reviewer"]
        assert isinstance(field, ReviewerChoiceField)
        field.queryset = User.objects.filter(role__in=roles, is_active=True).order_by(
            "last_name", "first_name"
        )
        # Drawn, when the form is drawn, from one plain query of the columns a label needs: the
        # field's own choices read every column through a server-side cursor (three round
        # trips) on every case page. Choosing still goes through the queryset (the field's clean).
        labels = field.queryset.only("first_name", "last_name", "username", "credentials")
        field.widget.choices = lambda: [
            ("", field.empty_label),
            *((user.pk, field.label_from_instance(user)) for user in labels),
        ]


class PendForm(forms.Form):
    items = forms.CharField(
        label="Information requested (one item per line)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The clinic sees this list exactly as written.",
    )
    message = forms.CharField(
        required=False,
        max_length=4000,
        label="Message to the clinic (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_items(self) -> list[str]:
        # The service's rule, its message on this field.
        items = services.pend_items_kept(self.cleaned_data["items"].splitlines())
        if problem := services.pend_items_problem(items):
            raise forms.ValidationError(problem)
        return items


class EscalateForm(forms.Form):
    reason = forms.CharField(
        max_length=4000,
        label="Why does the medical director need to see this case?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class _LinesForm(forms.Form):
    """A form that offers some of the case's checklist lines as choices."""

    def line_choices(self, lines: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
        return [
            (line["id"], f"{labels.criterion_label(line['id'])}: {line['wording']}")
            for line in lines
        ]


class OverrideForm(_LinesForm):
    criterion = forms.ChoiceField(label="Checklist line")
    status = forms.ChoiceField(label="Your ruling", choices=ChecklistOverride.Ruling.choices)
    reason = forms.CharField(
        max_length=4000,
        label="Reason (the evidence that settles it)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, lines: list[Mapping[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = self.line_choices(lines)  # type: ignore[attr-defined]


class FirstChoiceFocused(forms.RadioSelect):
    """Radio buttons whose first choice takes the focus when the form appears (one autofocus)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["index"] == "0":
            option["attrs"] = {**option["attrs"], "autofocus": True}
        return option


class RuleLineForm(forms.Form):
    """A ruling on one checklist line, from its row. The choices read as the line's kind does:
    on an exclusion "Exclusion absent / Exclusion present / Unknown", never a bare "Met"."""

    # Opened from its row, the form takes the focus (htmx focuses what says autofocus).
    status = forms.ChoiceField(label="Your ruling", widget=FirstChoiceFocused)
    reason = forms.CharField(
        max_length=4000,
        label="Reason (the evidence that settles it)",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason: the evidence that settles the line."},
    )

    def __init__(self, *args: Any, line: Mapping[str, Any], **kwargs: Any) -> None:
        kwargs["prefix"] = f"rule-{line['id']}"  # one form per row: ids unique on the page
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = labels.ruling_choices(line.get("kind", ""))  # type: ignore[attr-defined]
        # Compact in the checklist's row: the choices on one line, the reason below.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(InlineRadios("status"), "reason")


class DenyForm(_LinesForm):
    """A denial on one of three bases (workflow.DenialBasis); the medical director's clinical
    judgment needs no cited line, so the form is never a dead end."""

    basis = forms.ChoiceField(
        label="What the denial rests on",
        widget=forms.RadioSelect,
        choices=list(DENIAL_BASIS_LABELS.items()),
        initial=DenialBasis.NOT_MET,
        # Left out, the service reads it from the cited lines (not met, else unanswered).
        required=False,
    )
    failed_criteria = forms.MultipleChoiceField(
        label="Criteria cited",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Not met lines for \u201ccriteria not met\u201d; lines still unknown after a "
        "request for information for \u201cinformation not provided\u201d; optional for clinical "
        "judgment.",
    )
    explanation = forms.CharField(
        required=False,
        max_length=8000,
        label="Clinical judgment: the medical director's explanation (printed on the letter)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(
        max_length=8000,
        label="Reason in plain language (printed on the letter)",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self, *args: Any, lines: list[Mapping[str, Any]], role: str | None = None, **kwargs: Any
    ) -> None:
        """lines: the checklist lines that do not stand met; role: offer only its bases."""
        super().__init__(*args, **kwargs)
        self.fields["failed_criteria"].choices = self.line_choices(lines)  # type: ignore[attr-defined]
        if role is not None:
            self.limit_bases(role)

    def limit_bases(self, role: str) -> None:
        allowed = denial_bases(role)
        field = self.fields["basis"]
        field.choices = [(b, DENIAL_BASIS_LABELS[b]) for b in allowed]  # type: ignore[attr-defined]
        if DenialBasis.JUDGMENT not in allowed:
            del self.fields["explanation"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        basis = data["basis"] = data.get("basis") or None
        if basis == DenialBasis.JUDGMENT:
            if is_blank(data.get("explanation")):
                self.add_error("explanation", "Explain the clinical judgment the denial rests on.")
        elif not data.get("failed_criteria"):
            self.add_error("failed_criteria", "Choose at least one criterion the request fails.")
        return data


# --- initial values, drafted from the checklist -------------------------------------------------


def lines_not_met(
    lines: list[Mapping[str, Any]], statuses: Mapping[str, str]
) -> list[Mapping[str, Any]]:
    """The lines that do not stand met (not met or unknown): the ones a denial may cite."""
    return [line for line in lines if statuses.get(line["id"]) != "met"]


def denial_initial(
    lines: list[Mapping[str, Any]],
    statuses: Mapping[str, str],
    overrides: Mapping[str, ChecklistOverride],
) -> dict[str, Any]:
    """The failed lines (engine not met, or ruled not met) and a draft reason in plain words."""
    failing = [line for line in lines if statuses.get(line["id"]) == "not_met"]
    if not failing:
        return {}
    found = []
    for line in failing:
        ruling = overrides.get(line["id"])
        why = ruling.reason if ruling is not None else line["reason"]
        found.append(f"- {line['wording']}: {why}")
    return {
        "failed_criteria": [line["id"] for line in failing],
        "reason": "The request does not meet these requirements of the Hemgenix policy:\n"
        + "\n".join(found),
    }


def pend_initial(checklist: Mapping[str, Any], statuses: Mapping[str, str]) -> dict[str, Any]:
    """The engine's asks for the lines still unknown (a line ruled on needs no more asking)."""
    asks = zip(
        checklist.get("missing", []), checklist.get("requests_for_information", []), strict=False
    )
    items = [ask for criterion, ask in asks if statuses.get(criterion) == "unknown"]
    return {"items": "\n".join(items)} if items else {}
