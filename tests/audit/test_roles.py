"""The application's database role, attacked with its own connection (as the portal connects).

The test session is the owner (it migrates and empties tables); PA_APP_DATABASE_URL, set by
./test, names the application's role, which audit/roles.py granted after migrate.
"""

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from psycopg import errors

from accounts.models import User
from audit.chain import verify
from audit.models import AuditLog
from audit.roles import grant_application_role
from reviews import services
from reviews.models import Case, Status
from tests.conftest import app_role_credentials
from tests.factories import make_case

INSERT = (
    "INSERT INTO audit_auditlog (at, actor_username, actor_role, action, object_type, object_id, "
    "user_agent, detail) VALUES (now(), '', 'system', 'test.app', '', '', '', '{}') "
    "RETURNING id, chain_seq"
)
ATTACKS = {
    "update": "UPDATE audit_auditlog SET action = 'rewritten'",
    "delete": "DELETE FROM audit_auditlog",
    "truncate": "TRUNCATE audit_auditlog",
    "disable trigger": "ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only",
    "disable all triggers": "ALTER TABLE audit_auditlog DISABLE TRIGGER ALL",
    "drop trigger": "DROP TRIGGER audit_auditlog_append_only ON audit_auditlog",
    "drop chain trigger": "DROP TRIGGER audit_auditlog_chain ON audit_auditlog",
    "replica mode": "SET session_replication_role = replica",
    "drop table": "DROP TABLE audit_auditlog",
    "take ownership": "ALTER TABLE audit_auditlog OWNER TO CURRENT_USER",
    "replace the hash function": (
        "CREATE OR REPLACE FUNCTION audit_auditlog_row_hash(r audit_auditlog) RETURNS text "
        "LANGUAGE sql AS $$ SELECT 'x' $$"
    ),
}


def app_connection() -> psycopg.Connection:
    s = connection.settings_dict
    user, password = app_role_credentials()
    assert user != s["USER"], "the application's role must not be the session's (owner) role"
    return psycopg.connect(
        dbname=s["NAME"],
        user=user,
        password=password or None,
        host=s["HOST"],
        port=s["PORT"] or None,
        autocommit=True,
    )


@pytest.fixture
def app() -> Iterator[psycopg.Connection]:
    with app_connection() as conn:
        yield conn


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_it_refuses_the_application_role_every_way_to_rewrite_history(
    app: psycopg.Connection, attack: str
) -> None:
    row_id, position = app.execute(INSERT).fetchone() or (0, 0)
    assert position == 1  # the application may write rows, and the chain takes them

    with pytest.raises(errors.InsufficientPrivilege):
        app.execute(ATTACKS[attack])

    assert list(AuditLog.objects.values_list("id", "action")) == [(row_id, "test.app")]
    assert app.execute("SHOW session_replication_role").fetchone() == ("origin",)
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_it_refuses_truncate_even_if_the_privilege_is_granted_by_mistake(
    app: psycopg.Connection,
) -> None:
    app.execute(INSERT)
    role, _ = app_role_credentials()
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT TRUNCATE ON audit_auditlog TO "{role}"')
    try:
        with pytest.raises(errors.InsufficientPrivilege, match="TRUNCATE refused"):
            app.execute("TRUNCATE audit_auditlog")  # the BEFORE TRUNCATE trigger, second wall
    finally:
        grant_application_role(role)  # takes the mistaken grant back
    assert AuditLog.objects.count() == 1
    assert not privileges(role, "audit_auditlog", "TRUNCATE")


SHADOW = (
    "CREATE TEMP TABLE audit_auditlog (chain_seq bigint, row_hash text, at timestamptz)",
    "INSERT INTO audit_auditlog VALUES (999, repeat('f', 64), now() + interval '1 day')",
)


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_application_role_a_temporary_table(app: psycopg.Connection) -> None:
    with pytest.raises(errors.InsufficientPrivilege, match="temporary"):
        app.execute(SHADOW[0])


@pytest.mark.django_db(transaction=True)
def test_a_temporary_table_cannot_shadow_the_audit_log_inside_its_triggers(
    app: psycopg.Connection,
) -> None:
    """Even with TEMPORARY granted by mistake: the trigger functions' search_path puts pg_temp
    last, so the chain trigger reads the real log, not the session's forged head."""
    first_id, _ = app.execute(INSERT).fetchone() or (0, 0)
    role, _ = app_role_credentials()
    database = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT TEMPORARY ON DATABASE {database} TO "{role}"')
    try:
        for statement in SHADOW:
            app.execute(statement)
        second_id, position = app.execute(
            INSERT.replace("INTO audit_auditlog", "INTO public.audit_auditlog")
        ).fetchone() or (0, 0)
    finally:
        grant_application_role(role)  # takes the mistaken grant back

    first, second = AuditLog.objects.get(pk=first_id), AuditLog.objects.get(pk=second_id)
    assert position == 2 and second.prev_hash == first.row_hash
    assert second.at < first.at + timedelta(hours=1)  # not raised to the forged head's time
    assert verify().ok


def test_every_function_of_ours_runs_with_a_fixed_search_path(db: None) -> None:
    """A function created later without SET search_path would read a session's temporary table
    of the same name as one of ours (audit 0008, reviews 0016)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, coalesce('search_path=pg_catalog, public, pg_temp' = "
            "ANY(p.proconfig), false) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        )
        pinned = dict(cursor.fetchall())
    assert pinned["audit_auditlog_chain"] and pinned["reviews_case_guard"]
    assert [name for name, fixed in pinned.items() if not fixed] == []


@pytest.mark.django_db
def test_it_lets_no_session_of_the_application_hold_a_members_approvals(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    """Audit of 2026-11-26: approvals of one member queued on an advisory lock, which the
    application's role could hold at session level. They queue on a row of reviews_member_lock
    now, which only the owner's function may lock (reviews 0023)."""
    case = make_case(riverside, claim_by=pharmacist)
    app.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"member:{case.member_key}"])  # the old
    for statement in (
        "SELECT 1 FROM reviews_member_lock FOR UPDATE",
        "INSERT INTO reviews_member_lock VALUES ('X')",
        "DELETE FROM reviews_member_lock",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            app.execute(statement)

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")  # a wait on the old lock would fail here
    services.case_approve(actor=pharmacist, case=case)
    assert Case.objects.get(pk=case.pk).status == Status.APPROVED
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM reviews_member_lock WHERE member_key = %s", [case.member_key]
        )
        assert cursor.fetchone() == (1,)


def privileges(role: str, table: str, *wanted: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p FROM unnest(%s::text[]) p WHERE has_table_privilege(%s, %s, p)",
            [list(wanted), role, table],
        )
        return [p for (p,) in cursor.fetchall()]


def tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return [name for (name,) in cursor.fetchall()]


def test_it_gives_the_application_role_dml_and_nothing_more(db: None) -> None:
    role, _ = app_role_credentials()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (False, False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_has_role(%s, c.relowner, 'USAGE')",
            [role],
        )
        assert cursor.fetchone() == (0,)  # owns nothing, so may ALTER or DROP nothing
        cursor.execute(
            "SELECT has_database_privilege(%s, current_database(), p) "
            "FROM unnest(ARRAY['CONNECT', 'TEMPORARY']) p",
            [role],
        )
        assert cursor.fetchall() == [(True,), (False,)]  # no temporary table to shadow ours
    everything = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    for table in tables():
        granted = privileges(role, table, *everything)
        if table in ("audit_auditlog", "reviews_caseevent", "reviews_internalnote"):
            assert granted == ["SELECT", "INSERT"], table  # append-only
        elif table in ("reviews_decision", "reviews_authorization"):
            assert granted == ["SELECT", "INSERT", "UPDATE"], table  # corrected, never deleted
        elif table == "django_migrations":
            assert granted == ["SELECT"], table
        elif table in ("audit_chain_lock", "reviews_member_lock"):
            assert granted == [], table  # only the owner's functions take them
        else:
            assert granted == ["SELECT", "INSERT", "UPDATE", "DELETE"], table


def test_it_grants_the_application_role_tables_that_later_migrations_create(db: None) -> None:
    role, _ = app_role_credentials()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_table (id bigint GENERATED BY DEFAULT AS IDENTITY)")
        cursor.execute(
            "SELECT has_sequence_privilege(%s, 'later_table_id_seq', 'USAGE'), "
            "has_sequence_privilege(%s, 'later_table_id_seq', 'UPDATE')",
            [role, role],
        )
        assert cursor.fetchone() == (True, False)

    assert privileges(role, "later_table", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE") == [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
    ]


@pytest.mark.django_db(transaction=True)
def test_it_lets_no_session_of_the_application_hold_the_audit_chain(
    app: psycopg.Connection,
) -> None:
    """Audit of 2026-11-26: any role may take any advisory lock, and the chain once queued on
    one, so the application's role could hold it at session level and stall every audited
    write. The chain queues on a row only the owner's trigger may lock."""
    app.execute("SELECT pg_advisory_lock(1635083380)")  # the old key, held for the session
    with pytest.raises(errors.InsufficientPrivilege):
        app.execute("SELECT 1 FROM audit_chain_lock FOR UPDATE")
    with pytest.raises(errors.InsufficientPrivilege):
        app.execute("UPDATE audit_chain_lock SET id = 1")

    with app_connection() as other:
        other.execute("SET lock_timeout = '5s'")  # a wait for the chain would fail here
        first = other.execute(INSERT).fetchone()
        second = other.execute(INSERT).fetchone()
    assert first is not None and second is not None and second[1] == first[1] + 1
    assert verify().ok
