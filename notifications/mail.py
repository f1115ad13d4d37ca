"""E-mail: one message per notification (immediate) or one a day per person (digest).

Sent through Django's e-mail backend (a file per message in var/mail in development, SMTP in
deployments: README's Configuration). The text is the notification's subject and body, which
name the case reference only, and a link to the portal's inbox.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.log import record as audit_record

from . import selectors
from .models import Delivery, Notification

FOOTER = (
    "This e-mail names the case reference only; the details are in the portal. "
    "To change how you are notified, open Notifications, then Preferences."
)


def inbox_url() -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{reverse('notifications:inbox')}"


def send_immediate(pk: int) -> bool:
    """E-mail one notification once; True if this call sent it.

    The row is claimed before the send (one UPDATE), so a task delivered twice sends once; a
    failed send gives the claim back and raises, and the task retries. A message about a case its
    recipient may no longer see is neither sent nor claimed.
    """
    note = Notification.objects.select_related("recipient", "case").filter(pk=pk).first()
    if note is None or not selectors.shown_to(note.recipient).filter(pk=pk).exists():
        # Its recipient moved to another clinic or role since: never sent, nor marked e-mailed.
        return False
    claimed = Notification.objects.filter(
        pk=pk, delivery=Delivery.IMMEDIATE, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return False
    try:
        send_mail(
            note.subject,
            f"{note.body}\n\n{inbox_url()}\n\n{FOOTER}\n",
            settings.DEFAULT_FROM_EMAIL,
            [note.recipient.email],
        )
    except Exception:
        Notification.objects.filter(pk=pk).update(emailed_at=None)
        raise
    with transaction.atomic():
        if note.case_id is not None:
            # The audit row's foreign key locks the case row (KEY SHARE); take that lock before
            # the audit chain's lock, in the order every service takes them, or a service
            # holding the case and waiting for the chain deadlocks with this task.
            lock_case_key(note.case_id)
        audit_record(
            action="notification.emailed",
            actor=None,
            case=note.case,
            obj=note,
            detail={"kind": note.kind, "recipient": note.recipient.username},
        )
    return True


def lock_case_key(case_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM reviews_case WHERE id = %s FOR KEY SHARE", [case_id])


def send_digest(user: User) -> int:
    """One e-mail listing the user's waiting digest notifications; how many it listed."""
    with transaction.atomic():
        notes = list(
            selectors.shown_to(user)  # not the old clinic's cases of a user moved since
            .select_for_update(skip_locked=True)
            .filter(delivery=Delivery.DIGEST, emailed_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not notes or not user.email:
            return 0
        lines = "\n".join(
            f"- {timezone.localtime(n.created_at):%Y-%m-%d %H:%M} {n.body}" for n in notes
        )
        send_mail(
            f"Your daily summary: {len(notes)} notification{'s' if len(notes) != 1 else ''}",
            f"{lines}\n\n{inbox_url()}\n\n{FOOTER}\n",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=timezone.now())
        audit_record(
            action="notification.digest_emailed",
            actor=None,
            obj=user,
            detail={"recipient": user.username, "notifications": [n.pk for n in notes]},
        )
    return len(notes)


def send_digests() -> int:
    waiting = Notification.objects.filter(delivery=Delivery.DIGEST, emailed_at__isnull=True)
    users = User.objects.filter(pk__in=waiting.values("recipient_id"), is_active=True)
    return sum(send_digest(user) for user in users)
