"""PostgreSQL writes an audit row for every change to who a user is allowed to be.

A user's role, clinic and flags (active, staff, superuser) decide what they may see and do. The
administrators' pages audit their changes ("user.change", with who made them from where), but the
application's database role may also UPDATE the users table, so a change made past the portal left
no trace (security audit of 2026-11-26, "Left"). These triggers add a "user.access" row, from the
database itself, for every user created or deleted and every change of those five columns,
whoever makes it: the row names the database role that made it and the values before and after.
Sign-ins (last_login) and other columns write nothing. The application's role cannot drop or
disable the triggers (it does not own the table), and the row joins the hash chain like any other.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION accounts_user_access_audit() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    before jsonb;
    after jsonb;
    subject accounts_user;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        subject := OLD;
        before := jsonb_build_object('role', OLD.role, 'organization_id', OLD.organization_id,
            'is_active', OLD.is_active, 'is_staff', OLD.is_staff, 'is_superuser', OLD.is_superuser);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        subject := NEW;
        after := jsonb_build_object('role', NEW.role, 'organization_id', NEW.organization_id,
            'is_active', NEW.is_active, 'is_staff', NEW.is_staff, 'is_superuser', NEW.is_superuser);
    END IF;
    INSERT INTO audit_auditlog (at, actor_id, actor_username, actor_role, organization_id, action,
        object_type, object_id, case_id, ip, user_agent, detail)
    VALUES (clock_timestamp(), NULL, session_user, 'database', NULL, 'user.access', 'user',
        subject.id::text, NULL, NULL, '',
        jsonb_build_object('operation', lower(TG_OP), 'username', subject.username,
            'before', before, 'after', after));
    RETURN NULL;
END;
$$;
"""

TRIGGERS = """
CREATE TRIGGER accounts_user_access_audit_rows AFTER INSERT OR DELETE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION accounts_user_access_audit();
CREATE TRIGGER accounts_user_access_audit_changes AFTER UPDATE ON accounts_user
    FOR EACH ROW WHEN (
        OLD.role IS DISTINCT FROM NEW.role
        OR OLD.organization_id IS DISTINCT FROM NEW.organization_id
        OR OLD.is_active IS DISTINCT FROM NEW.is_active
        OR OLD.is_staff IS DISTINCT FROM NEW.is_staff
        OR OLD.is_superuser IS DISTINCT FROM NEW.is_superuser
    ) EXECUTE FUNCTION accounts_user_access_audit();
"""

DROP = """
DROP TRIGGER accounts_user_access_audit_changes ON accounts_user;
DROP TRIGGER accounts_user_access_audit_rows ON accounts_user;
DROP FUNCTION accounts_user_access_audit();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_value_choices"),
        ("audit", "0009_chain_lock"),
    ]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, DROP)]
