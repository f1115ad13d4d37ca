"""Setting up legacy data behind PostgreSQL's walls (reviews migration 0017), for tests only.

Some tests need rows the portal can no longer write: a decision made half a year ago, an
authorization issued before approval stated the dose, an authorization loaded from the old
system. walls_down switches named triggers off around such a setup and on again; the
benchmark's generator (bench/generate.py) uses it too, for its users' history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper


@contextmanager
def walls_down(table: str, *triggers: str) -> Iterator[None]:
    """Switch table's triggers off for the body of the with, inside one transaction (a savepoint
    of the test's own, or a transaction of its own in a transactional test).

    Only the table's owner can do this: the test session connects as the owner role (pa_owner).
    The application's role (pa_app) cannot ALTER a table, so the portal never could
    (tests/audit/test_roles.py). If the body fails, the rollback leaves the triggers on.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        _switch(cursor, table, triggers, "DISABLE")
        yield
        _switch(cursor, table, triggers, "ENABLE")


def _switch(cursor: CursorWrapper, table: str, triggers: tuple[str, ...], how: str) -> None:
    # ALTER TABLE refuses a table with checks still pending (Django's foreign keys and the
    # decided checks are deferred): run them now, as Django's own check_constraints() does at
    # the end of every test, then defer again.
    quote = connection.ops.quote_name
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for trigger in triggers:
        cursor.execute(f"ALTER TABLE {quote(table)} {how} TRIGGER {quote(trigger)}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
