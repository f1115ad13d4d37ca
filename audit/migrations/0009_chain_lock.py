"""The audit chain's writers queue on a row only the owner can lock, not on an advisory lock.

Any role can take any advisory lock: the application's role could hold 'audt' at session level
(pg_advisory_lock, outside any transaction) and stall every audited write, that is, every page
(security audit of 2026-11-26). The chain trigger now runs as the table's owner (SECURITY
DEFINER, its search_path fixed) and locks the one row of audit_chain_lock FOR UPDATE, which
needs UPDATE on a table the application's role has no privilege on (audit/roles.py NO_ACCESS).
The lock is held until the transaction ends, as before.
"""

from django.db import migrations

# The lock belongs to whoever owns the audit log and its trigger function (the function runs as
# its owner): migrated by another role (a superuser, as the benchmark does), it is handed over.
LOCK_TABLE = """
CREATE TABLE audit_chain_lock (id smallint PRIMARY KEY CHECK (id = 1));
INSERT INTO audit_chain_lock VALUES (1);
REVOKE ALL ON audit_chain_lock FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('ALTER TABLE audit_chain_lock OWNER TO %I',
        (SELECT r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
         WHERE p.oid = 'audit_auditlog_chain()'::regprocedure));
END;
$$;
"""

CHAIN = """
CREATE OR REPLACE FUNCTION audit_auditlog_chain() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    last_at timestamptz;
BEGIN
    -- Held until commit or rollback: the next writer reads this row as its predecessor only once
    -- it is committed, and takes its place if it rolled back.
    PERFORM 1 FROM audit_chain_lock WHERE id = 1 FOR UPDATE;
    SELECT chain_seq, row_hash, at INTO last_seq, last_hash, last_at
        FROM audit_auditlog ORDER BY chain_seq DESC LIMIT 1;
    -- Time never runs backwards along the chain: a row cannot be slipped into the past.
    NEW.at := greatest(NEW.at, last_at);
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.row_hash := audit_auditlog_row_hash(NEW);
    RETURN NEW;
END;
$$;
"""

ADVISORY = """
CREATE OR REPLACE FUNCTION audit_auditlog_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    last_at timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(1635083380);  -- 'audt'
    SELECT chain_seq, row_hash, at INTO last_seq, last_hash, last_at
        FROM audit_auditlog ORDER BY chain_seq DESC LIMIT 1;
    NEW.at := greatest(NEW.at, last_at);
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.row_hash := audit_auditlog_row_hash(NEW);
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_function_search_path")]

    operations = [
        migrations.RunSQL(LOCK_TABLE, "DROP TABLE audit_chain_lock;"),
        migrations.RunSQL(CHAIN, ADVISORY),
    ]
