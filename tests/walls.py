"""Setting up legacy data behind PostgreSQL's walls (reviews migration 0015), for tests only.

Some tests need rows the portal can no longer write: a decision made half a year ago, an
authorization issued before approval stated the dose, an authorization loaded from the old
system. walls_down switches named triggers off around such a setup and on again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def walls_down(table: str, *triggers: str) -> Iterator[None]:
    """Switch table's triggers off for the body of the with, inside one transaction (a savepoint
    of the test's own, or a transaction of its own in a transactional test).

    Only the table's owner can do this: the test session connects as the owner role (pa_owner).
    The application's role (pa_app) cannot ALTER a table, so the portal never could
    (tests/audit/test_roles.py). If the body fails, the rollback leaves the triggers on.
    """
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for trigger in triggers:
            cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
        yield
        # ALTER TABLE refuses a table with checks still pending (Django's foreign keys are
        # deferred): run them now, as Django's own check_constraints() does, then defer again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for trigger in triggers:
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
