"""The FHIR door's own state: the R4 Subscriptions (backport) clinic systems hold on their
requests. Everything about a case lives in reviews; a Subscription only says where to tell."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class SubscriptionStatus(models.TextChoices):
    REQUESTED = "requested"  # waiting for the handshake
    ACTIVE = "active"
    ERROR = "error"  # the handshake or a notification could not be delivered
    OFF = "off"  # deleted by the clinic


class SubscriptionContent(models.TextChoices):
    ID_ONLY = "id-only"
    FULL_RESOURCE = "full-resource"


class Subscription(models.Model):
    """A clinic system's rest-hook Subscription to the PAS topic: notified (through the
    outbox and the Celery task pas.notify_subscription) when a request of its clinic is pended
    for information or decided."""

    # Module-level so that Meta below can name their values (a nested class cannot see these).
    Status = SubscriptionStatus
    Content = SubscriptionContent

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="fhir_subscriptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(max_length=200)
    endpoint = models.URLField(max_length=500)
    content = models.CharField(max_length=20, choices=Content.choices)
    headers = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    events = models.PositiveIntegerField(default=0)  # events since the subscription started
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubscriptionStatus.values), name="subscription_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(content__in=SubscriptionContent.values),
                name="subscription_content_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Subscription {self.id} ({self.status})"
