"""Who may stand as a decision's decider, in PostgreSQL as in the services (security audit of
2026-11-26, "Left": the walls checked the shape of a decision, not who made it): a reviewer
(a pharmacist or a medical director, accounts.models.REVIEWER_ROLES), and a medical director
(DIRECTOR_ROLES) for a case escalated before the decision (workflow.move_for). The application's
role can no longer write a decision in a clinic user's, an auditor's or an administrator's name,
nor a pharmacist's on an escalated case. Appeals keep their own trigger (0008). Rows written
before are not checked again (manage.py escalated_decisions lists those that matter).
"""

from django.db import migrations

DECIDER = """
CREATE FUNCTION reviews_decision_decider() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    decider_role text;
    escalated timestamptz;
BEGIN
    SELECT role INTO decider_role FROM accounts_user WHERE id = NEW.decided_by_id;
    IF decider_role IS NULL OR decider_role NOT IN ('pharmacist', 'medical_director') THEN
        RAISE EXCEPTION 'a decision is made by a pharmacist or a medical director'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'decision_by_reviewer';
    END IF;
    SELECT escalated_at INTO escalated FROM reviews_case WHERE id = NEW.case_id;
    IF escalated IS NOT NULL AND escalated <= NEW.created_at
        AND decider_role <> 'medical_director'
    THEN
        RAISE EXCEPTION 'case %: an escalated case is decided by a medical director', NEW.case_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'escalated_decided_by_director';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_decision_decider
    BEFORE INSERT OR UPDATE OF case_id, decided_by_id ON reviews_decision
    FOR EACH ROW EXECUTE FUNCTION reviews_decision_decider();
"""

DROP = """
DROP TRIGGER IF EXISTS reviews_decision_decider ON reviews_decision;
DROP FUNCTION IF EXISTS reviews_decision_decider();
"""


class Migration(migrations.Migration):
    dependencies = [("reviews", "0023_member_lock")]

    operations = [migrations.RunSQL(DECIDER, DROP)]
