"""Migration audit 0006 chains the rows written before it, in time order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import GENESIS, verify
from audit.log import record
from audit.models import AuditLog

BEFORE = ("audit", "0005_drop_covered_indexes")


def migrate(target: tuple[str, str] | None) -> None:
    """To target, or (None) forward to every app's latest: going back to audit 0005 also
    unapplied the migrations of other apps that depend on 0006 (reviews' PolicySetting move)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


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
        migrate(None)  # through audit 0006, whose backfill is under test, to the latest

    rows = list(AuditLog.objects.order_by("chain_seq"))
    assert [r.action for r in rows] == ["test.minute1", "test.minute2", "test.minute3"]
    assert [r.chain_seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS and rows[1].prev_hash == rows[0].row_hash
    assert verify().ok
    # And the trigger carries on from the backfilled head.
    assert record(action="test.after", actor=None).chain_seq == 4
    assert verify().ok
