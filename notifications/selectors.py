"""Every read of notifications: a user's own, never another's."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from reviews.selectors import cases_visible_to

from .models import KINDS_BY_ROLE, Delivery, Notification, Preference

INBOX_SIZE = 100


def shown_to(user: User) -> QuerySet[Notification]:
    """The user's own messages about a case they may see now, or about none: a user moved to
    another clinic or role keeps no word of the old clinic's cases (SECURITY.md), as their
    sessions and tokens end on the move. A deactivated user is shown and e-mailed nothing: an
    e-mail written before they left may still be waiting in the outbox or its retries."""
    if not user.is_active:
        return Notification.objects.none()
    # EXISTS, looked up case by case through the primary key: an IN (subquery) made PostgreSQL
    # hash every case the user may see (~100,000 for a reviewer) on each page's unread badge.
    visible = cases_visible_to(user).order_by().filter(pk=OuterRef("case_id"))
    return Notification.objects.filter(Q(case__isnull=True) | Exists(visible), recipient=user)


def inbox_of(user: User) -> QuerySet[Notification]:
    return shown_to(user).select_related("case")[:INBOX_SIZE]


def note_of(user: User, pk: int | None) -> Notification | None:
    return shown_to(user).filter(pk=pk).first() if pk else None


def unread_count(user: User) -> int:
    return shown_to(user).filter(read_at__isnull=True).count()


def deliveries_of(user: User) -> dict[str, str]:
    """Each kind the user's role hears of, and how: immediately unless they chose a digest."""
    kinds = KINDS_BY_ROLE.get(user.role, ())
    current = {kind.value: Delivery.IMMEDIATE.value for kind in kinds}
    chosen = Preference.objects.filter(user=user, kind__in=current)
    current.update(chosen.values_list("kind", "delivery"))
    return current
