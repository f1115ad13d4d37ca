"""Infrastructure tasks: a health probe that proves the worker reaches both Redis and PostgreSQL."""

from celery import shared_task
from django.db import connection


@shared_task(name="pa_portal.ping")
def ping() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        row = cursor.fetchone()
    assert row is not None
    (database,) = row
    return {"pong": "ok", "vendor": connection.vendor, "database": database}
