"""Migration audit 0006 chains the rows written before it, in time order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import GENESIS, verify
from audit.log import record
from audit.models import AuditLog

BEFORE, CHAIN = ("audit", "0005_drop_covered_indexes"), ("audit", "0006_hash_chain")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_it_chains_the_existing_rows_in_time_order() -> None:
    migrate(BEFORE)
    try:
        now = timezone.now()
        with connection.cursor() as cursor:
            # Ids and times in different orders, as two overlapping writers could leave them.
            for minutes in (3, 1, 2):
                cursor.execute(
                    "INSERT INTO audit_auditlog (at, actor_username, actor_role, action, "
                    "object_type, object_id, user_agent, detail) "
                    "VALUES (%s, '', 'system', %s, '', '', '', '{}')",
                    [now + timedelta(minutes=minutes), f"test.minute{minutes}"],
                )
    finally:
        migrate(CHAIN)

    rows = list(AuditLog.objects.order_by("chain_seq"))
    assert [r.action for r in rows] == ["test.minute1", "test.minute2", "test.minute3"]
    assert [r.chain_seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS and rows[1].prev_hash == rows[0].row_hash
    assert verify().ok
    # And the trigger carries on from the backfilled head.
    assert record(action="test.after", actor=None).chain_seq == 4
    assert verify().ok
