from html import escape
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from reviews import labels, letters, selectors
from reviews.workflow import ACTION_LABELS, Action, actions_on

register = template.Library()

STATUS_COLORS = {"met": "success", "not_met": "danger", "unknown": "warning"}
RECOMMENDATION_COLORS = {"approve": "success", "deny": "danger", "pend": "warning"}


@register.filter
def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "secondary")


@register.filter
def recommendation_color(recommendation: str) -> str:
    return RECOMMENDATION_COLORS.get(recommendation, "secondary")


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


# --- reviewer workbench (issue 5) -------------------------------------------------------------

DUE_CLASSES = {"overdue": "due-overdue", "soon": "due-soon"}


@register.filter
def due_state(case: Any) -> str:
    """overdue / soon / paused / "" (see reviews.selectors.due_state)."""
    return selectors.due_state(case)


@register.filter
def due_class(state: str) -> str:
    """The class, for a due_state, that makes overdue and nearly-due cases stand out
    (static/css/portal.css)."""
    return DUE_CLASSES.get(state, "")


@register.filter
def claimable_by(case: Any, user: Any) -> bool:
    """Whether the queue offers this user a Claim button (the workflow table and holder rule)."""
    return Action.CLAIM in actions_on(case, user)


# --- prescriber portal (issue 4) --------------------------------------------------------------

CASE_STATUS_COLORS = {
    "draft": "secondary",
    "submitted": "primary",
    "in_review": "info",
    "pended": "warning",
    "escalated": "info",
    "approved": "success",
    "denied": "danger",
    "withdrawn": "dark",
}


@register.filter
def case_status_color(status: str) -> str:
    return CASE_STATUS_COLORS.get(status, "secondary")


@register.filter
def event_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


# --- browser journeys (issue 8) ---------------------------------------------------------------


@register.filter
def as_words(key: str) -> str:
    """A snake_case key as words for the page: hepatic_ultrasound -> Hepatic ultrasound."""
    return key.replace("_", " ").capitalize()


# --- the queue's filter form (issue 9) --------------------------------------------------------


@register.simple_tag
def filter_field(field: BoundField) -> SafeString:
    """One filter as Bootstrap 5 markup (label, control, errors), the same markup crispy-forms
    writes, built in Python: crispy renders each field and each of its options through a template,
    which was a fifth of the queue's time (bench/README.md)."""
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id,
        field.auto_id,
        field.label,
        _control(field),
        _errors(field),
        _help_text(field),
    )


def _control(field: BoundField) -> SafeString:
    widget = field.field.widget
    attrs = {**widget.attrs, **field.build_widget_attrs({}, widget), "id": field.auto_id}
    select = isinstance(widget, forms.Select)
    classes = [attrs.pop("class", ""), "form-select" if select else "form-control"]
    if field.errors:
        classes.append("is-invalid")
    attrs["class"] = " ".join(dict.fromkeys(" ".join(classes).split()))
    if select:
        return format_html(
            '<select name="{}"{}>{}</select>', field.html_name, flatatt(attrs), _options(field)
        )
    if (value := field.value()) not in (None, ""):
        attrs["value"] = str(value)
    kind = getattr(widget, "input_type", "text")
    return format_html('<input type="{}" name="{}"{}>', kind, field.html_name, flatatt(attrs))


def _help_text(field: BoundField) -> SafeString:
    if not field.help_text:
        return mark_safe("")
    return format_html(
        '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
    )


def escape_text(value: Any) -> str:
    """Django's escape() without its lazy-string wrapper: html.escape, the same five characters,
    for markup built in Python on a hot path (the filters here, the queue's rows)."""
    return escape(str(value))


def _options(field: BoundField) -> SafeString:
    value = field.value()
    current = "" if value is None else str(value)
    # html.escape, not format_html_join: fifty clinics were fifty trips through Django's
    # lazy-string checks (the same escaping: & < > " ').
    return mark_safe(  # noqa: S308
        "".join(
            f'<option value="{escape_text(choice)}"{" selected" if str(choice) == current else ""}>'
            f"{escape_text(label)}</option>"
            for choice, label in field.field.choices  # type: ignore[attr-defined]
        )
    )


def _errors(field: BoundField) -> SafeString:
    if not field.errors:
        return mark_safe("")
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.auto_id,
        format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((n, field.auto_id, error) for n, error in enumerate(field.errors, start=1)),
        ),
    )


# --- human labels for internal codes (issue 16; reviews/labels.py) ----------------------------


@register.filter
def criterion_label(criterion_id: str) -> str:
    return labels.criterion_label(str(criterion_id))


@register.filter
def criterion_labels(criterion_ids: Any) -> str:
    return labels.criterion_labels(str(c) for c in criterion_ids or ())


@register.filter
def fact_label(name: str) -> str:
    return labels.fact_label(str(name))


@register.filter
def evidence_value(evidence: Any) -> str:
    """An evidence item's value in words ({"fact": "on_fix_prophylaxis", "value": "true"} -> Yes)."""
    return labels.fact_value(str(evidence.get("fact", "")), evidence.get("value"))


@register.filter
def status_label(status: str) -> str:
    return labels.status_label(str(status))


@register.filter
def ruling_label(status: str, kind: str) -> str:
    """A reviewer's ruling as a line of this kind reads it: {{ o.status|ruling_label:line.kind }}."""
    return labels.ruling_label(kind, status)


@register.filter
def lab_label(code: str) -> str:
    return labels.LAB_LABELS.get(str(code).upper(), str(code))


@register.filter
def imaging_label(kind: str) -> str:
    return labels.IMAGING_LABELS.get(str(kind), as_words(str(kind)))


@register.filter
def denial_basis(decision: Any) -> str:
    """What a denial rests on, in words ("" for an approval)."""
    found = letters.denial_basis(decision) if decision is not None else None
    return found["label"] if found else ""


@register.filter
def case_status_label(status: str) -> str:
    """A case status in words (in_review -> In review)."""
    return labels.case_status_label(str(status)) if status else ""


@register.filter
def field_errors(form: forms.Form) -> list[tuple[BoundField, str]]:
    """Each field's errors as (bound field, message), for the error summary at a form's top."""
    return [
        (form[name], str(e))
        for name in form.errors
        if name in form.fields
        for e in form.errors[name]
    ]
