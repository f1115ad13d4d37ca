"""Faults against the real servers: Redis down while work is queued, PostgreSQL restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import psutil
import pytest
from django.db import connection

from accounts.models import User
from reviews import services
from reviews.models import Decision, OutboxMessage
from reviews.outbox import relay_outbox, relay_pending
from reviews.tasks import generate_letter
from tests.conftest import client_for, worker_database_url
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


def test_it_runs_a_task_again_after_its_worker_is_killed_and_keeps_one_result(
    riverside: User, pharmacist: User, tmp_path: Path
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    # With Redis down the approval's own letter message waits in the outbox, so nothing else
    # renders this letter until we say so.
    stop_redis()
    try:
        decision = services.case_approve(actor=pharmacist, case=case)
    finally:
        start_redis(tmp_path)
    worker = start_worker(queue="fault-injection")
    try:
        with row_locked(Decision, decision.pk):
            generate_letter.apply_async(args=(decision.pk,), queue="fault-injection")
            # The task is mid-run: it waits for the decision's row lock, which we hold.
            wait_until(lambda: task_waits_for_lock(), "the task to start", timeout=60)
            victim = psutil.Process(worker.pid).children()[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
        # The message was not acknowledged, so the worker runs the task again.
        wait_until(lambda: bool(Decision.objects.get(pk=decision.pk).letter), "the letter", 60)
    finally:
        stop_worker(worker)
    # The outbox messages still go out (the letter's and the decision's e-mail to the clinic,
    # and the "letter ready" e-mail unless the worker's own commit sent it already: which, on a
    # busy machine, it sometimes has not); the letter task sees the letter and does nothing.
    assert relay_pending() >= 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert case.events.filter(action="letter_generated").count() == 1


def start_worker(queue: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "DB_CONN_MAX_AGE": "0"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pa_portal", "worker", "--pool=prefork",
         "--concurrency=1", "-Q", queue, "-n", f"fault-{os.getpid()}@%h", "-l", "warning",
         "--without-gossip", "--without-mingle"],
        cwd=Path(__file__).resolve().parents[2], env=env, start_new_session=True,
    )  # fmt: skip
    wait_until(lambda: len(psutil.Process(worker.pid).children()) == 1, "the worker", 60)
    return worker


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)


@contextmanager
def row_locked(model: type[Decision], pk: int) -> Iterator[None]:
    """Hold a row lock from a second connection, as another transaction would."""
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"] or None
    ) as other:
        table = model._meta.db_table  # a model's own table name, not input
        other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
        yield
        other.rollback()


def task_waits_for_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            # Blocked on a lock while reading the decision (the query's FOR UPDATE tail is
            # beyond what pg_stat_activity keeps of a long query).
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'SELECT \"reviews_decision\".%%'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])
