"""What the portal tells people: an inbox row per message, each user's choice of immediate or
daily-digest e-mail per kind, and the SLA alerts already sent (one per case and threshold).

Subjects and bodies carry the case reference and what happened, never the patient's name,
member ID, birth date or clinical facts (SECURITY.md): they go out by e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Role


class Kind(models.TextChoices):
    RFI = "rfi", "Request for information on a case"
    DECISION = "decision", "Decision on a case"
    LETTER_READY = "letter_ready", "Determination letter ready"
    APPEAL_RECEIVED = "appeal_received", "Appeal received"
    APPEAL_DECIDED = "appeal_decided", "Appeal decided"
    ASSIGNED = "assigned", "Case assigned to me"
    DUE_SOON = "due_soon", "Case due soon"
    OVERDUE = "overdue", "Case overdue"
    ESCALATION = "escalation", "Escalation to the medical director"


# The kinds each role receives, in the order the preferences page lists them.
KINDS_BY_ROLE: dict[str, tuple[Kind, ...]] = {
    Role.PRESCRIBER: (
        Kind.RFI,
        Kind.DECISION,
        Kind.LETTER_READY,
        Kind.APPEAL_RECEIVED,
        Kind.APPEAL_DECIDED,
    ),
    Role.PHARMACIST: (Kind.ASSIGNED, Kind.DUE_SOON, Kind.OVERDUE),
    Role.MEDICAL_DIRECTOR: (
        Kind.ASSIGNED,
        Kind.DUE_SOON,
        Kind.OVERDUE,
        Kind.ESCALATION,
        Kind.APPEAL_RECEIVED,
    ),
}


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "E-mail each one at once"
    DIGEST = "digest", "One e-mail a day (daily digest)"


class Preference(models.Model):
    """A user's choice for one kind; no row means immediate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_pref_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="notification_pref_delivery_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class Notification(models.Model):
    """One message to one person: always in the inbox; e-mailed at once or in the digest."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    case = models.ForeignKey(
        "reviews.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When its e-mail went out (alone or in a digest); stays empty for a user without e-mail.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="notification_delivery_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(delivery="digest", emailed_at__isnull=True),
                name="notification_digest_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}: {self.subject}"


class Threshold(models.TextChoices):
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"


class SlaAlert(models.Model):
    """A case crossed a threshold of its review clock and the people were told: once only."""

    case = models.ForeignKey(
        "reviews.Case", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    threshold = models.CharField(max_length=10, choices=Threshold.choices)
    due_at = models.DateTimeField()  # the effective due time when the alert fired
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "threshold"], name="sla_alert_once"),
            models.CheckConstraint(
                condition=Q(threshold__in=Threshold.values), name="sla_alert_threshold_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.threshold}"
