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
    fifth pass). The setting is the transaction's (set_config(..., true)): outside one, this
    opens one, and its end drops the setting; inside a caller's, it is put back on the way out,
    or, when what ran inside failed, left to the end of that transaction (it only chooses plans).
    """
    if not connection.in_atomic_block:
        with transaction.atomic():
            _plan_cache_mode("force_custom_plan")
            yield
        return
    before = _plan_cache_mode("force_custom_plan")
    yield
    _plan_cache_mode(before)


def _plan_cache_mode(mode: str) -> str:
    """Set plan_cache_mode for this transaction; return what it was."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('plan_cache_mode'), set_config('plan_cache_mode', %s, true)",
            [mode],
        )
        return str(cursor.fetchone()[0])
