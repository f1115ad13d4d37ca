"""Celery tasks: e-mail one notification (queued through the outbox), the daily digests and the
SLA sweep (both from Celery beat, pa_portal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from . import mail, sla


@shared_task(
    name="notifications.send_email",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def send_email(notification_id: int) -> bool:
    return mail.send_immediate(notification_id)


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    return mail.send_digests()


@shared_task(name="notifications.sla_sweep")
def sla_sweep() -> int:
    return sla.sweep()
