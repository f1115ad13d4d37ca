import contextlib

import pytest
from django.db import connection


def test_it_runs_on_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    assert int(getattr(connection, "pg_version", 0)) >= 160000


def test_it_binds_parameters_on_the_server_and_prepares_what_repeats(db: None) -> None:
    """Issue 20: a statement run again on a connection is planned once (pg_prepared_statements
    lists it), and its values travel apart from the SQL text (none appears in it)."""
    from accounts.models import Organization

    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for number in range(threshold + 2):
        list(Organization.objects.filter(name=f"no such clinic {number}"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%accounts_organization%"],
        )
        statements = [row[0] for row in cursor.fetchall()]
    assert len(statements) == 1
    assert "no such clinic" not in statements[0]
    assert "$1" in statements[0]


def test_it_turns_prepared_statements_off_for_a_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    """DB_PREPARE_THRESHOLD=off is what a transaction-mode pooler without prepared-statement
    support needs (psycopg's None)."""
    from pa_portal.settings import _prepare_threshold

    for value, expected in [("off", None), (" None ", None), ("0", 0), ("7", 7)]:
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
        assert _prepare_threshold() == expected
    monkeypatch.delenv("DB_PREPARE_THRESHOLD")
    assert _prepare_threshold() == 1


def plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return str(cursor.fetchone()[0])


def test_it_plans_a_report_for_its_own_values_and_only_there(db: None) -> None:
    from pa_portal.db import planned_for_these_values

    with planned_for_these_values():
        inside = plan_cache_mode()
    assert (inside, plan_cache_mode()) == ("force_custom_plan", "auto")


def test_it_plans_the_review_metrics_for_their_period(db: None) -> None:
    from datetime import date

    from django.test.utils import CaptureQueriesContext

    from oversight.metrics import review_metrics

    with CaptureQueriesContext(connection) as queries:
        review_metrics(date(2026, 1, 1), date(2026, 12, 31))
    statements = [q["sql"] for q in queries.captured_queries]
    switches = [i for i, sql in enumerate(statements) if "plan_cache_mode" in sql]
    reads = [i for i, sql in enumerate(statements) if '"reviews_case"' in sql]
    assert len(switches) == 2 and reads
    assert switches[0] < min(reads) and max(reads) < switches[1]
    assert plan_cache_mode() == "auto"


@pytest.mark.django_db(transaction=True)
def test_it_drops_the_plan_setting_with_its_own_transaction_even_on_a_failure() -> None:
    from pa_portal.db import planned_for_these_values

    for fail in (False, True):
        with contextlib.suppress(ZeroDivisionError), planned_for_these_values():
            assert connection.in_atomic_block
            assert plan_cache_mode() == "force_custom_plan"
            if fail:
                1 / 0  # noqa: B018
        assert not connection.in_atomic_block
        assert plan_cache_mode() == "auto"
