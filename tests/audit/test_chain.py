"""The hash chain: PostgreSQL writes it, audit_verify walks it and names the first break.

Every attack here runs as the owner role (the test session's), which may switch the triggers off:
the chain is what still tells.
"""

import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.chain import GENESIS, VERIFIED, verify, verify_and_record
from audit.log import record
from audit.models import AuditLog
from audit.tasks import verify_chain
from pa_portal.celery import app as celery_app
from tests.conftest import app_role_credentials, client_for, worker_database_url
from tests.threads import race


def write(count: int) -> list[AuditLog]:
    return [record(action="test.write", actor=None, detail={"n": n}) for n in range(count)]


Statement = tuple[str, list[Any]]
INSERT = (
    "INSERT INTO audit_auditlog (at, actor_username, actor_role, action, object_type, object_id, "
    "user_agent, detail, chain_seq, prev_hash, row_hash) "
    "VALUES (%s, 'phil', 'pharmacist', %s, '', '', '', '{}', %s, %s, %s)"
)


def owner_sql(*statements: Statement) -> None:
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def without_triggers(*statements: Statement) -> None:
    """As the owner: switch the append-only and chain triggers off, run, switch them back on.
    (The rows' deferred foreign-key checks run first: ALTER TABLE waits for none.)"""
    owner_sql(
        ("SET CONSTRAINTS ALL IMMEDIATE", []),
        ("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only", []),
        ("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_chain", []),
        *statements,
        ("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only", []),
        ("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_chain", []),
    )


def rehash(row_id: int) -> Statement:
    """Recompute a row's hash with PostgreSQL's own function, as an informed attacker would."""
    sql = "UPDATE audit_auditlog t SET row_hash = audit_auditlog_row_hash(t) WHERE id = %s"
    return sql, [row_id]


def test_it_links_each_row_to_the_one_before(db: None) -> None:
    first, second = write(2)

    assert (first.chain_seq, first.prev_hash) == (1, GENESIS)
    assert (second.chain_seq, second.prev_hash) == (2, first.row_hash)
    assert len(second.row_hash) == 64 and second.row_hash != first.row_hash


def test_it_verifies_an_untouched_chain(db: None) -> None:
    rows = write(5)
    record(action="test.unicode", actor=None, detail={"name": 'Zoë\n"quoted"', "x": [1.5, None]})

    result = verify()

    assert result.ok, result.problem
    assert (result.rows, result.head_seq) == (6, 6)
    assert result.head_hash == AuditLog.objects.get(chain_seq=6).row_hash
    assert rows[0].row_hash != result.head_hash


def test_it_ignores_the_place_and_hash_an_insert_asks_for(db: None) -> None:
    write(2)
    owner_sql((INSERT, [timezone.now() - timedelta(days=1), "test.forged", 1, GENESIS, "feed"]))

    forged = AuditLog.objects.get(action="test.forged")
    assert forged.chain_seq == 3
    assert forged.at >= AuditLog.objects.get(chain_seq=2).at  # not slipped into the past
    assert verify().ok


def test_it_names_a_changed_row(db: None) -> None:
    _, changed, _ = write(3)
    without_triggers(
        ("UPDATE audit_auditlog SET detail = '{\"n\": 99}' WHERE id = %s", [changed.pk])
    )

    result = verify()

    assert not result.ok
    assert result.first_bad_id == changed.pk
    assert result.problem == (
        f"row {changed.pk} does not match its hash: it was changed, or written around the chain"
    )


def test_it_names_a_changed_row_whose_hash_was_recomputed(db: None) -> None:
    _, changed, after = write(3)
    without_triggers(
        ("UPDATE audit_auditlog SET action = 'test.other' WHERE id = %s", [changed.pk]),
        rehash(changed.pk),
    )

    result = verify()

    assert not result.ok and result.first_bad_id == after.pk
    assert f"row {after.pk} does not link to row {changed.pk} (position 2)" in result.problem


def test_it_names_where_a_row_was_removed(db: None) -> None:
    before, removed, after = write(3)
    without_triggers(("DELETE FROM audit_auditlog WHERE id = %s", [removed.pk]))

    result = verify()

    assert not result.ok and result.first_bad_id == after.pk
    assert result.problem == (
        f"position 2 was removed: between row {before.pk} (position 1) and row {after.pk}"
    )


def test_it_names_a_row_inserted_into_the_past(db: None) -> None:
    first, _, last = write(3)
    # A well-formed row at the head of the chain, hashed by the database's own function, but
    # dated before the first row.
    without_triggers(
        (INSERT, [first.at - timedelta(hours=1), "case.approve", 4, last.row_hash, ""])
    )
    slipped = AuditLog.objects.get(chain_seq=4)
    without_triggers(rehash(slipped.pk))

    result = verify()

    assert not result.ok and result.first_bad_id == slipped.pk
    assert result.problem == (
        f"row {slipped.pk} was inserted out of order: its time is before row {last.pk} "
        "(position 3)'s"
    )


def test_it_names_a_row_inserted_around_the_chain(db: None) -> None:
    write(2)
    without_triggers(
        (
            "INSERT INTO audit_auditlog (at, actor_username, actor_role, action, object_type, "
            "object_id, user_agent, detail) VALUES (now(), '', '', 'test.forged', '', '', '', '{}')",
            [],
        )
    )
    forged = AuditLog.objects.get(action="test.forged")
    without_triggers(rehash(forged.pk))  # hashed, but at position 0 (outside the chain)

    result = verify()

    assert not result.ok and result.first_bad_id == forged.pk
    assert "inserted out of order: position 0 after the start of the chain" in result.problem


def test_it_notices_the_newest_rows_removed_after_a_verification(db: None) -> None:
    write(3)
    assert verify_and_record().ok
    without_triggers(("DELETE FROM audit_auditlog WHERE chain_seq >= 3", []))

    result = verify()

    assert not result.ok
    assert result.problem.startswith("position 3, the head verified at ")
    assert result.problem.endswith(", was removed")


def test_it_records_each_verification_in_the_log(db: None) -> None:
    write(2)

    call_command("audit_verify")

    row = AuditLog.objects.get(action=VERIFIED)
    assert row.actor_role == "system"
    assert row.detail["ok"] is True and row.detail["rows"] == 2 and row.detail["head_seq"] == 2


def test_it_exits_non_zero_and_records_a_broken_chain(db: None) -> None:
    _, changed = write(2)
    without_triggers(("UPDATE audit_auditlog SET ip = '10.9.9.9' WHERE id = %s", [changed.pk]))

    with pytest.raises(CommandError, match=f"audit chain broken: row {changed.pk} does not"):
        call_command("audit_verify")

    row = AuditLog.objects.get(action=VERIFIED)
    assert row.detail["ok"] is False and row.detail["first_bad_id"] == changed.pk


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_under_concurrent_writers() -> None:
    def writer(count: int, fail: bool = False) -> Callable[[], None]:
        def run() -> None:
            for n in range(count):
                try:
                    with transaction.atomic():
                        record(action="test.concurrent", actor=None, detail={"n": n})
                        record(action="test.concurrent", actor=None, detail={"n": n, "2": True})
                        if fail and n % 2:
                            raise RuntimeError("rolled back after writing")
                except RuntimeError:
                    pass

        return run

    results = race(*(writer(15) for _ in range(5)), writer(15, fail=True))

    assert results == [None] * 6
    positions = list(AuditLog.objects.order_by("chain_seq").values_list("chain_seq", flat=True))
    assert positions == list(range(1, 5 * 30 + 8 * 2 + 1))  # the rolled-back places are reused
    result = verify()
    assert result.ok, result.problem
    assert result.rows == len(positions)


def test_it_shows_auditors_when_the_chain_was_last_verified_and_what_it_found(
    auditor: User,
) -> None:
    client = client_for(auditor)
    assert "Not yet verified" in client.get(reverse("audit:chain")).content.decode()
    _, changed = write(2)
    verify_and_record()
    without_triggers(("UPDATE audit_auditlog SET user_agent = 'x' WHERE id = %s", [changed.pk]))
    verify_and_record()

    page = client.get(reverse("audit:chain"))

    assert page.status_code == 200
    status = page.content.decode()
    assert "Broken" in status and f"row {changed.pk} does not match its hash" in status
    assert [c.detail["ok"] for c in page.context["checks"]] == [False, True]  # newest first
    assert page.context["last"].detail["ok"] is False


def test_it_schedules_the_verification_nightly_in_celery_beat() -> None:
    entry = celery_app.conf.beat_schedule["audit-verify-chain"]

    assert entry["task"] == "audit.verify_chain"
    assert entry["schedule"] == crontab(hour=3, minute=17)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_verifies_the_chain_in_the_worker_as_the_application_role(
    celery_worker_process: subprocess.Popen[bytes],
) -> None:
    write(3)

    result = verify_chain.delay().get(timeout=30)

    assert result == {"ok": True, "rows": 3, "problem": ""}
    check = AuditLog.objects.get(action=VERIFIED)
    assert (check.chain_seq, check.detail["head_seq"]) == (4, 3)
    # The worker was started on the application's role, not the session's owner role.
    worker_role = unquote(urlsplit(worker_database_url()).username or "")
    assert worker_role == app_role_credentials()[0] != connection.settings_dict["USER"]


HEAD = "SELECT chain_seq, row_hash, at FROM {table} ORDER BY chain_seq DESC LIMIT 1"


def test_it_finds_the_chains_last_row_through_its_index_even_when_the_table_looked_empty(
    db: None,
) -> None:
    """audit 0010. The trigger's look-up of the last row is planned once per session; planned
    while the statistics said the table was empty, it was a sequential scan and a sort, kept for
    every later row (a fresh CI run's bench COPY ran for minutes). The function now runs with
    enable_seqscan off, under which even a table analyzed empty is read through its index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'audit_auditlog_chain'")
        (config,) = cursor.fetchone()
        assert "enable_seqscan=off" in config
        with transaction.atomic():  # the same shape of table, analyzed empty, then dropped
            cursor.execute(
                "CREATE TABLE chain_probe (chain_seq bigint UNIQUE, row_hash text, at timestamptz)"
            )
            cursor.execute("ANALYZE chain_probe")
            plans = {}
            for setting in ("on", "off"):
                cursor.execute(f"SET LOCAL enable_seqscan = {setting}")
                cursor.execute("EXPLAIN " + HEAD.format(table="chain_probe"))
                plans[setting] = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("DROP TABLE chain_probe")
    assert "Seq Scan" in plans["on"]  # the hazard
    assert "Index Scan Backward" in plans["off"] and "Seq Scan" not in plans["off"]
