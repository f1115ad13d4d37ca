from typing import Any

from django import template

from reviews import selectors
from reviews.workflow import Action, available_actions

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
def due_class(case: Any) -> str:
    """The row class that makes overdue and nearly-due cases stand out (static/css/portal.css)."""
    return DUE_CLASSES.get(due_state(case), "")


@register.filter
def claimable_by(case: Any, user: Any) -> bool:
    """Whether the queue offers this user a Claim button (the workflow table and holder rule)."""
    return Action.CLAIM in available_actions(
        case.status, role=user.role, actor_id=user.pk, holder_id=case.assigned_to_id
    )


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


EVENT_LABELS = {
    "created": "Draft created",
    "draft_saved": "Draft saved",
    "submit": "Submitted",
    "claim": "Taken for review",
    "assign": "Assigned",
    "release": "Returned to the queue",
    "pend": "Information requested",
    "answer_rfi": "Information sent",
    "escalate": "Escalated to the medical director",
    "approve": "Approved",
    "deny": "Denied",
    "withdraw": "Withdrawn",
    "document_added": "Document attached",
    "override": "Checklist line ruled",
    "letter_generated": "Determination letter ready",
}


@register.filter
def event_label(action: str) -> str:
    return EVENT_LABELS.get(action, action.replace("_", " ").capitalize())


# --- browser journeys (issue 8) ---------------------------------------------------------------


@register.filter
def as_words(key: str) -> str:
    """A snake_case key as words for the page: hepatic_ultrasound -> Hepatic ultrasound."""
    return key.replace("_", " ").capitalize()
