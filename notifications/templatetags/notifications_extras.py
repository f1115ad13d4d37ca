from typing import Any

from django import template

from ..models import Notification

register = template.Library()


@register.simple_tag
def unread_count(user: Any) -> int:
    """The signed-in user's unread messages (the nav's badge); one indexed count."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
