"""The transactional outbox between PostgreSQL and the Celery broker.

enqueue() writes a row inside the caller's transaction and tries to send it right after the
commit; relay_pending() (a beat task every 30 s) sends whatever is still waiting, e.g. after a
Redis outage. A failure to send never fails the user's request: the change is already saved.

The messages one transaction queues are relayed together after its commit, in one transaction
of their own (issue 20: an approval queues three, which took three relays of four statements).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pa_portal.celery import app

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# The messages this thread queued that no commit has relayed yet. A rolled-back transaction's
# rows stay listed until the next relay, which finds no such rows: the relay sends only committed
# rows still waiting, which is always right (it is what relay_pending does with any of them).
_queued = threading.local()


def enqueue(task: str, *args: Any) -> OutboxMessage:
    return enqueue_many(task, [args])[0]


def enqueue_many(task: str, each_args: Iterable[Sequence[Any]]) -> list[OutboxMessage]:
    """One message per argument list, in one INSERT, sent after the commit."""
    messages = [OutboxMessage(task=task, args=list(args)) for args in each_args]
    if not messages:
        return []
    OutboxMessage.objects.bulk_create(messages)
    _waiting().extend(message.pk for message in messages)
    # Each call registers the relay (a savepoint rolled back takes its own registration with
    # it); the first to run after the commit relays them all, the others find nothing left.
    transaction.on_commit(_relay_queued)
    return messages


def _waiting() -> list[int]:
    if not hasattr(_queued, "pks"):
        _queued.pks = []
    pks: list[int] = _queued.pks
    return pks


def _relay_queued() -> None:
    pks = _waiting()
    if pks:
        batch = list(pks)
        pks.clear()
        relay(batch)


def relay(pks: Sequence[int]) -> int:
    """Send those of these messages still waiting, in one transaction; how many are sent now."""
    with transaction.atomic():
        # skip_locked: the relay task and an on_commit send never both send the same row.
        waiting = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            pk__in=list(pks), sent_at__isnull=True
        )
        sent = [message.pk for message in waiting.order_by("pk") if _send(message)]
        if sent:
            OutboxMessage.objects.filter(pk__in=sent).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1
            )
    return len(sent)


def _send(message: OutboxMessage) -> bool:
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
    return True


def relay_pending(limit: int = 500) -> int:
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk")
    pks = list(pending.values_list("pk", flat=True)[:limit])
    return relay(pks) if pks else 0


@shared_task(name="reviews.relay_outbox")
def relay_outbox() -> int:
    return relay_pending()
