"""The audit log as a hash chain, and walls against the application's own database role.

- Each row gets chain_seq (its position, 1, 2, 3 ... with no gaps), prev_hash (the row before's
  row_hash; 64 zeros for the first) and row_hash = sha256(prev_hash + the row's content).
  audit/chain.py holds the same content rule in Python and walks the chain (audit_verify).
- A BEFORE INSERT trigger sets the three columns, under a transaction-level advisory lock, so
  concurrent writers queue for the chain's head and an INSERT cannot choose its own place or hash
  (nor a time before its predecessor's: `at` is raised to it, by at most the wait for the lock).
- Existing rows are chained in time order, id order among equal times (the append-only trigger is
  off for that UPDATE only). Time rather than bare id order because the verifier also checks that
  time never runs backwards along the chain; before this migration two overlapping writers could
  take ids in the opposite order to their timestamps, milliseconds apart.
- A BEFORE TRUNCATE trigger refuses TRUNCATE to every role but the table's owner (which could drop
  the trigger anyway; the test runner, connected as the owner, empties tables with TRUNCATE).
- UPDATE, DELETE, TRUNCATE, REFERENCES and TRIGGER on the table are taken from every role but its
  owner; audit/roles.py grants the application's role INSERT and SELECT only.
"""

from django.db import migrations, models

# Keep in step with audit/chain.py (content()), which recomputes the same hash in Python.
FUNCTIONS = """
CREATE FUNCTION audit_auditlog_row_hash(r audit_auditlog) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(r.prev_hash || string_agg(
        length(f)::text || ':' || f || ';', '' ORDER BY n), 'UTF8')), 'hex')
    FROM unnest(ARRAY[
        r.chain_seq::text,
        r.id::text,
        to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(r.actor_id::text, ''),
        r.actor_username,
        r.actor_role,
        coalesce(r.organization_id::text, ''),
        r.action,
        r.object_type,
        r.object_id,
        coalesce(r.case_id::text, ''),
        coalesce(host(r.ip), ''),
        r.user_agent,
        r.detail::text
    ]) WITH ORDINALITY AS fields(f, n)
$$;

CREATE FUNCTION audit_auditlog_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    last_at timestamptz;
BEGIN
    -- Held until commit or rollback: the next writer reads this row as its predecessor only once
    -- it is committed, and takes its place if it rolled back.
    PERFORM pg_advisory_xact_lock(1635083380);  -- 'audt'
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

CREATE FUNCTION audit_auditlog_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
    THEN
        RAISE EXCEPTION 'audit_auditlog is append-only: TRUNCATE refused for %', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;
"""

BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only;
DO $$
DECLARE
    r audit_auditlog;
    previous text := repeat('0', 64);
    position bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_auditlog ORDER BY at, id LOOP
        position := position + 1;
        r.chain_seq := position;
        r.prev_hash := previous;
        previous := audit_auditlog_row_hash(r);
        UPDATE audit_auditlog SET chain_seq = position, prev_hash = r.prev_hash, row_hash = previous
            WHERE id = r.id;
    END LOOP;
END;
$$;
ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only;
"""

TRIGGERS = """
CREATE TRIGGER audit_auditlog_chain
    BEFORE INSERT ON audit_auditlog
    FOR EACH ROW EXECUTE FUNCTION audit_auditlog_chain();
CREATE TRIGGER audit_auditlog_no_truncate
    BEFORE TRUNCATE ON audit_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditlog_no_truncate();
DO $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'audit_auditlog'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format(
            'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_auditlog FROM %s',
            CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(grantee::regrole::text) END
        );
    END LOOP;
END;
$$;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditlog_no_truncate ON audit_auditlog;
DROP TRIGGER IF EXISTS audit_auditlog_chain ON audit_auditlog;
DROP FUNCTION IF EXISTS audit_auditlog_no_truncate();
DROP FUNCTION IF EXISTS audit_auditlog_chain();
DROP FUNCTION IF EXISTS audit_auditlog_row_hash(audit_auditlog);
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_drop_covered_indexes")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="chain_seq",
            field=models.BigIntegerField(
                db_default=0, editable=False, verbose_name="chain position"
            ),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="prev_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="row_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.RunSQL(FUNCTIONS + BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="auditlog",
            constraint=models.UniqueConstraint(
                fields=("chain_seq",), name="audit_chain_seq_unique"
            ),
        ),
        migrations.RunSQL(TRIGGERS, BACKWARD),
    ]
