"""Who may stand on a document, in PostgreSQL as in services/documents.py (security audit of
2026-11-26, "Left"): a document is uploaded by the case's own clinic (or by payer staff, who have
no clinic), never by another clinic's staff; and only the case's clinic removes a document, one
its own staff uploaded. A door that forgot the services' check, or the application's role
writing past them, can no longer put one clinic's name on another clinic's case file.

A user's clinic is accounts_user.organization_id: empty for payer staff and never empty for a
clinic's (the CHECK user_clinic_matches_role).
"""

from django.db import migrations

PARTIES = """
CREATE FUNCTION reviews_document_parties() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    clinic bigint;
BEGIN
    SELECT organization_id INTO clinic FROM reviews_case WHERE id = NEW.case_id;
    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM accounts_user u WHERE u.id = NEW.uploaded_by_id
            AND u.organization_id IS DISTINCT FROM clinic AND u.organization_id IS NOT NULL)
    THEN
        RAISE EXCEPTION 'document on case %: uploaded by another clinic''s staff', NEW.case_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'document_uploader_of_case_clinic';
    END IF;
    IF NEW.removed_at IS NOT NULL
        AND (TG_OP = 'INSERT' OR OLD.removed_at IS NULL)
        AND NOT (
            EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = NEW.removed_by_id
                AND u.organization_id = clinic)
            AND EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = NEW.uploaded_by_id
                AND u.organization_id = clinic))
    THEN
        RAISE EXCEPTION 'document %: only the case''s clinic removes a document it uploaded',
            NEW.id USING ERRCODE = 'check_violation', CONSTRAINT = 'document_removed_by_its_clinic';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_document_parties
    BEFORE INSERT OR UPDATE ON reviews_document
    FOR EACH ROW EXECUTE FUNCTION reviews_document_parties();
"""

DROP = """
DROP TRIGGER IF EXISTS reviews_document_parties ON reviews_document;
DROP FUNCTION IF EXISTS reviews_document_parties();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0021_document_guard"),
        ("accounts", "0006_user_access_audit"),
    ]

    operations = [migrations.RunSQL(PARTIES, DROP)]
