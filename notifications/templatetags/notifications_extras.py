from typing import Any

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def unread_count(user: Any) -> int:
    """The signed-in user's unread messages (the nav's badge), those the inbox shows; one count."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return selectors.unread_count(user)
