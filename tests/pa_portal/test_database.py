from django.db import connection


def test_it_runs_on_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    assert int(getattr(connection, "pg_version", 0)) >= 160000
