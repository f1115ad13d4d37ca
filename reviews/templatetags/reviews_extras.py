from typing import Any

from django import template

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
