"""Celery tasks of the FHIR door: the Subscription handshake and event notifications, queued
through reviews' transactional outbox (pas.subscriptions), retried with backoff, every attempt
an audit row (fhir.subscription.handshake / fhir.subscription.notify)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from audit.log import record as audit_record
from reviews.models import Case

from . import subscriptions
from .models import Subscription

RETRIES = 5


def _audit(action: str, subscription: Subscription, case: Case | None, **detail: Any) -> None:
    audit_record(
        action=action,
        actor=None,
        case=case,
        detail={"subscription": str(subscription.id), "endpoint": subscription.endpoint, **detail},
    )


@shared_task(bind=True, name="pas.subscription_handshake", max_retries=RETRIES)
def subscription_handshake(self: Task, subscription_id: str) -> str:
    subscription = Subscription.objects.get(pk=subscription_id)
    if subscription.status != Subscription.Status.REQUESTED:
        return subscription.status
    attempt = self.request.retries + 1
    try:
        code = subscriptions.post(subscription, subscriptions.handshake_bundle(subscription))
    except subscriptions.DeliveryFailed as exc:
        _audit("fhir.subscription.handshake", subscription, None, attempt=attempt, error=str(exc))
        if self.request.retries >= RETRIES:
            subscription.status = Subscription.Status.ERROR
            subscription.last_error = f"handshake failed: {exc}"
            subscription.save(update_fields=["status", "last_error"])
            return subscription.status
        raise self.retry(countdown=2**self.request.retries) from None
    subscription.status = Subscription.Status.ACTIVE
    subscription.save(update_fields=["status"])
    _audit("fhir.subscription.handshake", subscription, None, attempt=attempt, status=code)
    return subscription.status


@shared_task(bind=True, name="pas.notify_subscription", max_retries=RETRIES)
def notify_subscription(self: Task, subscription_id: str, case_id: int, event_number: int) -> str:
    subscription = Subscription.objects.get(pk=subscription_id)
    case = Case.objects.get(pk=case_id)
    if subscription.status != Subscription.Status.ACTIVE:
        return subscription.status
    attempt = self.request.retries + 1
    bundle = subscriptions.event_bundle(subscription, case, event_number)
    try:
        code = subscriptions.post(subscription, bundle)
    except subscriptions.DeliveryFailed as exc:
        _audit(
            "fhir.subscription.notify", subscription, case,
            event=event_number, attempt=attempt, error=str(exc), case_status=case.status,
        )  # fmt: skip
        if self.request.retries >= RETRIES:
            subscription.status = Subscription.Status.ERROR
            subscription.last_error = f"event {event_number} not delivered: {exc}"
            subscription.save(update_fields=["status", "last_error"])
            return "undelivered"
        raise self.retry(countdown=2**self.request.retries) from None
    _audit(
        "fhir.subscription.notify", subscription, case,
        event=event_number, attempt=attempt, status=code, case_status=case.status,
    )  # fmt: skip
    return "delivered"
