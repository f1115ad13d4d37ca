"""Faults against the real servers: Redis down while work is queued, PostgreSQL restarted."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from django.db import connection

from accounts.models import User
from reviews import services
from reviews.models import Decision, OutboxMessage
from reviews.outbox import relay_outbox
from tests.conftest import client_for
from tests.factories import make_case

from .servers import restart_postgres, start_redis, stop_redis, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_keeps_a_decision_made_while_redis_is_down_and_sends_the_letter_later(
    riverside: User,
    pharmacist: User,
    tmp_path: Path,
    celery_worker_process: subprocess.Popen[bytes],
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    stop_redis()
    try:
        decision = services.case_approve(actor=pharmacist, case=case)
        message = OutboxMessage.objects.get(task="reviews.generate_letter", args=[decision.pk])
        assert message.sent_at is None
        assert message.attempts == 1 and message.last_error
    finally:
        start_redis(tmp_path)
    # What beat does every 30 s, run through the real worker once Redis is back.
    assert relay_outbox.delay().get(timeout=30) >= 1

    def letter_ready() -> bool:
        return bool(Decision.objects.get(pk=decision.pk).letter)

    wait_until(letter_ready, "the letter", timeout=60)
    message.refresh_from_db()
    assert message.sent_at is not None
    assert case.events.filter(action="letter_generated").count() == 1


def test_it_answers_the_next_request_after_postgresql_restarts(
    riverside: User, live_server: Any
) -> None:
    # A real server thread (not the test client, which skips Django's connection health checks).
    cookie = client_for(riverside).cookies["sessionid"].value

    def get_requests_page() -> int:
        request = Request(live_server.url + "/clinic/", headers={"Cookie": f"sessionid={cookie}"})
        with urlopen(request, timeout=30) as response:
            return int(response.status)

    assert get_requests_page() == 200
    restart_postgres()
    try:
        assert get_requests_page() == 200
    finally:
        connection.close()  # this test's own connection died with the restart
