"""Every read of notifications: a user's own, never another's."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import KINDS_BY_ROLE, Delivery, Notification, Preference

INBOX_SIZE = 100


def inbox_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("case")[:INBOX_SIZE]


def note_of(user: User, pk: int | None) -> Notification | None:
    return Notification.objects.filter(recipient=user, pk=pk).first() if pk else None


def deliveries_of(user: User) -> dict[str, str]:
    """Each kind the user's role hears of, and how: immediately unless they chose a digest."""
    kinds = KINDS_BY_ROLE.get(user.role, ())
    current = {kind.value: Delivery.IMMEDIATE.value for kind in kinds}
    chosen = Preference.objects.filter(user=user, kind__in=current)
    current.update(chosen.values_list("kind", "delivery"))
    return current
