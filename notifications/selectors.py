"""Every read of notifications: a user's own, never another's."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from pa_portal.prepared import Prepared
from reviews.selectors import Viewer, cases_visible_to, sees_clinic, viewer_values

from .models import KINDS_BY_ROLE, Delivery, Notification, Preference

INBOX_SIZE = 100


def shown_to(user: User) -> QuerySet[Notification]:
    """The user's own messages about a case they may see now, or about none: a user moved to
    another clinic or role keeps no word of the old clinic's cases (SECURITY.md), as their
    sessions and tokens end on the move. A deactivated user is shown and e-mailed nothing: an
    e-mail written before they left may still be waiting in the outbox or its retries."""
    shape, values = _reader(user)
    return _shown_query(shape, **values)


def _reader(user: User) -> tuple[tuple[str, bool, bool], dict[str, Any]]:
    """What decides the SQL of shown_to(user) (role, active, has a clinic), and its values."""
    values = {"recipient_id": user.pk, **viewer_values(user)}
    return (user.role, user.is_active, sees_clinic(user)), values


def _shown_query(
    shape: tuple[str, bool, bool], *, recipient_id: int, organization_id: int | None = None
) -> QuerySet[Notification]:
    role, active, _ = shape
    if not active:
        return Notification.objects.none()
    # EXISTS, looked up case by case through the primary key: an IN (subquery) made PostgreSQL
    # hash every case the user may see (~100,000 for a reviewer) on each page's unread badge.
    viewer = Viewer(role, organization_id)
    visible = cases_visible_to(viewer).order_by().filter(pk=OuterRef("case_id"))
    return Notification.objects.filter(
        Q(case__isnull=True) | Exists(visible), recipient_id=recipient_id
    )


def _unread_query(shape: tuple[str, bool, bool], **values: int) -> QuerySet[Notification]:
    return _shown_query(shape, **values).filter(read_at__isnull=True)


# Every page's badge: compiled once per role (pa_portal/prepared.py).
_UNREAD = Prepared(_unread_query, recipient_id=int, organization_id=int)


def inbox_of(user: User) -> QuerySet[Notification]:
    return shown_to(user).select_related("case")[:INBOX_SIZE]


def note_of(user: User, pk: int | None) -> Notification | None:
    return shown_to(user).filter(pk=pk).first() if pk else None


def unread_count(user: User) -> int:
    shape, values = _reader(user)
    return _UNREAD.count(shape, **values)


def deliveries_of(user: User) -> dict[str, str]:
    """Each kind the user's role hears of, and how: immediately unless they chose a digest."""
    kinds = KINDS_BY_ROLE.get(user.role, ())
    current = {kind.value: Delivery.IMMEDIATE.value for kind in kinds}
    chosen = Preference.objects.filter(user=user, kind__in=current)
    current.update(chosen.values_list("kind", "delivery"))
    return current
