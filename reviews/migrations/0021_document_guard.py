"""A document on a case is a record of what the clinic sent (security audit of 2026-11-26): for
every role, PostgreSQL refuses to delete one, to change anything of it but its removal (its case,
file, name, type, size, hash, kind, what it supports, uploader and time), and to bring back or
rewrite a removal once made: the clinic's removal (services/documents.py) sets removed_at,
removed_by and its reason once."""

from django.db import migrations

GUARD = """
CREATE FUNCTION reviews_document_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'document %: a document is never deleted; the clinic removes it', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- As 0017's guards: every column but the removal's, so a column added later is kept too.
    IF to_jsonb(NEW) - 'removed_at' - 'removed_by_id' - 'removal_reason'
        IS DISTINCT FROM to_jsonb(OLD) - 'removed_at' - 'removed_by_id' - 'removal_reason'
    THEN
        RAISE EXCEPTION 'document %: what was stored never changes', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'document_stored_fixed';
    END IF;
    IF OLD.removed_at IS NOT NULL
        AND (NEW.removed_at, NEW.removed_by_id, NEW.removal_reason)
            IS DISTINCT FROM (OLD.removed_at, OLD.removed_by_id, OLD.removal_reason)
    THEN
        RAISE EXCEPTION 'document %: a removal stays as it was made', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'document_removal_fixed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_document_guard
    BEFORE UPDATE OR DELETE ON reviews_document
    FOR EACH ROW EXECUTE FUNCTION reviews_document_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS reviews_document_guard ON reviews_document;
DROP FUNCTION IF EXISTS reviews_document_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("reviews", "0020_queue_index_escalated")]

    operations = [migrations.RunSQL(GUARD, DROP)]
