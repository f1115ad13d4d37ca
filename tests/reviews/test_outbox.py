"""The outbox: the messages one transaction queues are sent together after its commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews import outbox
from reviews.models import OutboxMessage

pytestmark = pytest.mark.django_db

# A task every worker knows and that is harmless here: it relays what is waiting, and a worker
# sees none of this test's rows (they are never committed).
TASK = "reviews.relay_outbox"
Capture = Callable[..., Any]


def _sent(messages: list[OutboxMessage]) -> list[bool]:
    return [
        OutboxMessage.objects.get(pk=m.pk).sent_at is not None
        for m in messages
        if OutboxMessage.objects.filter(pk=m.pk).exists()
    ]


@pytest.mark.parametrize("count", [1, 3, 30])
def test_it_relays_a_transactions_messages_in_one_select_and_one_update(
    django_capture_on_commit_callbacks: Capture, count: int
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        messages = [outbox.enqueue(TASK) for _ in range(count - 1)]
        messages += outbox.enqueue_many(TASK, [[]])

    with CaptureQueriesContext(connection) as relay:
        for callback in callbacks:
            callback()

    statements = [q["sql"].split()[0] for q in relay.captured_queries]
    # The savepoint stands for the relay's own transaction (this test runs inside one).
    assert statements == ["SAVEPOINT", "SELECT", "UPDATE", "RELEASE"]
    assert _sent(messages) == [True] * count
    assert all(
        m.attempts == 1 for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in messages])
    )


def test_it_sends_nothing_of_a_savepoint_rolled_back_and_the_rest_of_its_transaction(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        kept = outbox.enqueue(TASK)
        try:
            with transaction.atomic():
                gone = outbox.enqueue(TASK)
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        late = outbox.enqueue(TASK)
    for callback in callbacks:
        callback()

    assert not OutboxMessage.objects.filter(pk=gone.pk).exists()
    assert _sent([kept, late]) == [True, True]


def test_it_relays_the_next_commit_after_a_transaction_rolled_back(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    try:
        with transaction.atomic():
            outbox.enqueue(TASK)
            raise RuntimeError("the whole transaction rolls back")
    except RuntimeError:
        pass
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        message = outbox.enqueue(TASK)
    for callback in callbacks:
        callback()

    assert _sent([message]) == [True]


def test_it_sends_no_message_twice_when_the_beats_relay_sent_it_first(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first, second = outbox.enqueue(TASK), outbox.enqueue(TASK)
    assert outbox.relay([first.pk]) == 1  # the beat's relay got there first
    for callback in callbacks:
        callback()

    assert _sent([first, second]) == [True, True]
    assert OutboxMessage.objects.get(pk=first.pk).attempts == 1  # sent once, not twice
