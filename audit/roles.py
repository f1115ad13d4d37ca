"""The application's database role: DML on the portal's tables, and no more.

Migrations run as the owner role, which owns every table. The web app, the Celery worker and beat
connect as settings.DATABASE_APP_ROLE, which after each `migrate` (the post_migrate signal,
connected in AuditConfig) holds exactly:

- SELECT, INSERT, UPDATE, DELETE on every table in the schema (never TRUNCATE, REFERENCES,
  TRIGGER, nor ownership, so no ALTER or DROP either);
- on the append-only tables only INSERT and SELECT; no DELETE on decisions and authorizations
  (a record of what was decided; their triggers refuse it to every role too); SELECT only on
  django_migrations;
- no TEMPORARY on the database: a temporary table cannot shadow one of ours in a session, and
  the role has no use for one (the owner keeps its own, as the database's owner);
- nothing on audit_chain_lock and reviews_member_lock: the audit chain's writers and a
  member's approvals queue on their rows, which only the owner's functions may lock (audit
  0009, reviews 0023);
- USAGE and SELECT on the sequences (nextval for ids and case references; never setval);
- the same by default on tables and sequences the owner creates later (ALTER DEFAULT PRIVILEGES;
  the append-only tables are narrowed again here, and by their own migration).

Idempotent: re-run after every migrate, it also takes back anything granted by hand since.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

APPEND_ONLY = ("audit_auditlog", "reviews_caseevent", "reviews_internalnote")
# Records of what was decided: corrected (a letter written once, an authorization voided), never
# deleted.
NO_DELETE = ("reviews_decision", "reviews_authorization")
READ_ONLY = ("django_migrations",)
# The audit chain's lock (audit 0009) and the member keys' (reviews 0023): only the owner's
# functions may take them.
NO_ACCESS = ("audit_chain_lock", "reviews_member_lock")
DML = "SELECT, INSERT, UPDATE, DELETE"
NEVER = "TRUNCATE, REFERENCES, TRIGGER"


def statements(role: str, quote: Any, database: str) -> list[str]:
    r = quote(role)
    db = quote(database)
    sql = [
        f"REVOKE {NEVER} ON ALL TABLES IN SCHEMA public FROM {r}",
        f"GRANT {DML} ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DML} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        # PostgreSQL grants TEMPORARY to PUBLIC by default. Only the database's owner can take
        # it back; anyone else gets a warning and nothing changes (an external database
        # provisioned by hand: README says how).
        f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC",
        f"REVOKE TEMPORARY ON DATABASE {db} FROM {r}",
    ]
    for table in APPEND_ONLY:
        sql.append(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {r}")
    for table in NO_DELETE:
        sql.append(f"REVOKE DELETE ON {quote(table)} FROM {r}")
    for table in READ_ONLY:
        sql.append(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {r}")
    for table in NO_ACCESS:
        sql.append(f"REVOKE ALL ON {quote(table)} FROM {r}")
    return sql


def grant_application_role(role: str, using: str = "default") -> None:
    """Give role the application's privileges on the schema, as the connected owner."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone() or ("",)
        for statement in statements(role, connection.ops.quote_name, database):
            cursor.execute(statement)


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: grant DATABASE_APP_ROLE after `migrate` (flush sends no plan: skipped)."""
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    if not role or "plan" not in kwargs:
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_user")
        row = cursor.fetchone()
    if row is not None and row[0] != role:  # one role for both: nothing to narrow
        grant_application_role(role, using)
