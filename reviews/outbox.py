"""The transactional outbox between PostgreSQL and the Celery broker.

enqueue() writes a row inside the caller's transaction and tries to send it right after the
commit; relay_pending() (a beat task every 30 s) sends whatever is still waiting, e.g. after a
Redis outage. A failure to send never fails the user's request: the change is already saved.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from pa_portal.celery import app

from .models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(task: str, *args: Any) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, args=list(args))
    transaction.on_commit(lambda: relay_one(message.pk))
    return message


def relay_one(pk: int) -> bool:
    """Send one waiting message; returns whether it is sent now."""
    with transaction.atomic():
        # skip_locked: the relay task and an on_commit send never both send the same row.
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if message is None or message.sent_at is not None:
            return message is not None
        try:
            # ignore_result: nobody waits on these results, and subscribing to them would make
            # an unreachable Redis stall the request for the result store's reconnect loop.
            app.send_task(message.task, args=message.args, retry=False, ignore_result=True)
        except Exception as exc:  # the broker is unreachable: keep the row for the relay
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning("outbox: %s waits for the broker (%s)", message, exc)
            return False
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["sent_at", "attempts"])
        return True


def relay_pending(limit: int = 500) -> int:
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)
    return sum(relay_one(pk) for pk in list(pending[:limit]))


@shared_task(name="reviews.relay_outbox")
def relay_outbox() -> int:
    return relay_pending()
