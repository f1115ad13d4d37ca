"""Celery application. Beat uses Celery's own schedule (django-celery-beat pins Django<6.1):
settings.CELERY_BEAT_SCHEDULE plus the audit chain's nightly check added here."""

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pa_portal.settings")

app = Celery("pa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

AUDIT_VERIFY_AT = crontab(hour=3, minute=17)  # nightly, off the hour


@app.on_after_configure.connect
def schedule_audit_verification(sender: Celery, **kwargs: Any) -> None:
    # By name: the task module imports Django models, which are not ready at this point.
    sender.add_periodic_task(
        AUDIT_VERIFY_AT, sender.signature("audit.verify_chain"), name="audit-verify-chain"
    )


@app.on_after_configure.connect
def schedule_notifications(sender: Celery, **kwargs: Any) -> None:
    """The SLA sweep (due soon / overdue alerts) and the daily e-mail digests."""
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.SLA_SWEEP_SECONDS),
        sender.signature("notifications.sla_sweep"),
        name="notifications-sla-sweep",
    )
    sender.add_periodic_task(
        crontab(hour=settings.NOTIFICATION_DIGEST_HOUR, minute=0),
        sender.signature("notifications.send_digests"),
        name="notifications-digests",
    )
