"""What the database connection does beyond Django's defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def planned_for_these_values() -> Iterator[None]:
    """Statements inside are planned for the values they run with, every time.

    The connection prepares a statement it runs again (settings: DB_PREPARE_THRESHOLD), and after
    five runs PostgreSQL may keep one generic plan for any values. That is right for the busy
    paths' look-ups by key; a report over a date range wants the plan for its range (a year of
    metrics took 97 ms on the generic plan against 75 planned for its dates, bench/README.md,
    fifth pass). The setting is the transaction's (set_config(..., true)), put back on the way
    out for a caller already in one; a failure rolls it back with the savepoint.
    """
    setting = "SELECT current_setting('plan_cache_mode'), set_config('plan_cache_mode', %s, true)"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(setting, ["force_custom_plan"])
            before = cursor.fetchone()[0]
        yield
        with connection.cursor() as cursor:
            cursor.execute(setting, [before])
