"""Walls in PostgreSQL around what a case's decision is, for every role (the owner too).

The services enforce these rules in Python; the triggers make sure no other path (the
application's own database role, a script, a shell) can route around them:

- a case keeps its reference, clinic, patient, author and creation time; it becomes an appeal
  only while it is a new draft; its status moves only as reviews/workflow.py allows;
- at commit, a decided case has its decision, a decision's case is decided that way, and an
  authorization's case is approved, with an approved decision;
- a decision is never deleted nor changed, except that its letter is written once;
- an authorization is never deleted; it may be voided, and its member ID corrected;
- case events, the case history, are append-only.

Refusals raise check_violation with a constraint name (Django raises IntegrityError), or
insufficient_privilege for a DELETE or an append-only table, as audit 0002 and reviews 0010.
"""

from django.db import migrations

# Every function is pinned to a search_path (see 0016): a temporary table cannot shadow ours.
#
# The status moves are reviews/workflow.py status_moves(): TRANSITIONS' (from, to) where
# to != from, the answer's unheld_to included, and where an escalated case goes instead (back to
# ESCALATED, move_for), frozen as they were when this migration was written: a migration is
# history. tests/reviews/test_database_walls.py fails if workflow.py and this list part ways;
# then a new migration replaces reviews_case_guard() with the new list.
CASE_GUARD = """
CREATE FUNCTION reviews_case_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF (NEW.reference, NEW.organization_id, NEW.patient_id, NEW.created_by_id, NEW.created_at)
        IS DISTINCT FROM
       (OLD.reference, OLD.organization_id, OLD.patient_id, OLD.created_by_id, OLD.created_at)
    THEN
        RAISE EXCEPTION 'case %: reference, clinic, patient, author and creation time never change',
            OLD.reference USING ERRCODE = 'check_violation', CONSTRAINT = 'case_identity_fixed';
    END IF;
    -- services/appeals.py links a new draft to the denial it appeals; nothing else moves it.
    IF NEW.appeal_of_id IS DISTINCT FROM OLD.appeal_of_id
        AND NOT (OLD.appeal_of_id IS NULL AND OLD.status = 'draft')
    THEN
        RAISE EXCEPTION 'case %: only a new draft becomes an appeal', OLD.reference
            USING ERRCODE = 'check_violation', CONSTRAINT = 'case_appeal_of_fixed';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
            ('draft', 'submitted'), ('draft', 'withdrawn'),
            ('submitted', 'in_review'), ('submitted', 'withdrawn'), ('submitted', 'escalated'),
            ('in_review', 'submitted'), ('in_review', 'pended'), ('in_review', 'escalated'),
            ('in_review', 'approved'), ('in_review', 'denied'), ('in_review', 'withdrawn'),
            ('pended', 'in_review'), ('pended', 'submitted'), ('pended', 'denied'),
            ('pended', 'withdrawn'), ('pended', 'escalated'),
            ('escalated', 'pended'), ('escalated', 'approved'), ('escalated', 'denied'),
            ('escalated', 'withdrawn')
        )
    THEN
        RAISE EXCEPTION 'case %: no move from % to %', OLD.reference, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'case_status_transition';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_case_guard
    BEFORE UPDATE ON reviews_case
    FOR EACH ROW EXECUTE FUNCTION reviews_case_guard();
"""

# Checked at commit: approve writes the decision, the authorization and the status in turn, and
# each row is only right once all three are there.
DECIDED = """
CREATE FUNCTION reviews_case_decided() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    current_status text;
BEGIN
    -- The row as it stands at commit, not as it was when the event was queued.
    SELECT status INTO current_status FROM reviews_case WHERE id = NEW.id;
    IF current_status IN ('approved', 'denied') AND NOT EXISTS (
        SELECT 1 FROM reviews_decision WHERE case_id = NEW.id AND outcome = current_status
    ) THEN
        RAISE EXCEPTION 'case % is % without a decision saying so', NEW.reference, current_status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'case_decided_has_decision';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER reviews_case_decided
    AFTER INSERT OR UPDATE OF status ON reviews_case
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION reviews_case_decided();

CREATE FUNCTION reviews_decision_decided() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM reviews_case WHERE id = NEW.case_id AND status = NEW.outcome)
    THEN
        RAISE EXCEPTION 'a decision % is written on a case that is not %', NEW.outcome, NEW.outcome
            USING ERRCODE = 'check_violation', CONSTRAINT = 'decision_case_decided';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER reviews_decision_decided
    AFTER INSERT ON reviews_decision
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION reviews_decision_decided();

CREATE FUNCTION reviews_authorization_approved() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM reviews_case c JOIN reviews_decision d ON d.case_id = c.id
        WHERE c.id = NEW.case_id AND c.status = 'approved' AND d.outcome = 'approved'
    ) THEN
        RAISE EXCEPTION 'authorization % is issued on a case that is not approved', NEW.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'authorization_case_approved';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER reviews_authorization_approved
    AFTER INSERT ON reviews_authorization
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION reviews_authorization_approved();
"""

# Columns are compared as jsonb minus the ones that may change, so a column added later is
# frozen too until a migration says otherwise.
DECISION_GUARD = """
CREATE FUNCTION reviews_decision_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a decision is never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_jsonb(NEW) - 'letter' - 'letter_generated_at'
        IS DISTINCT FROM to_jsonb(OLD) - 'letter' - 'letter_generated_at'
    THEN
        RAISE EXCEPTION 'decision %: a decision is never changed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'decision_unchanged';
    END IF;
    -- The letter is written once (reviews.tasks.generate_letter); a new letter is a new case.
    IF (OLD.letter <> '' AND NEW.letter IS DISTINCT FROM OLD.letter)
        OR (OLD.letter_generated_at IS NOT NULL
            AND NEW.letter_generated_at IS DISTINCT FROM OLD.letter_generated_at)
    THEN
        RAISE EXCEPTION 'decision %: its letter is written once', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'decision_letter_once';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_decision_guard
    BEFORE UPDATE OR DELETE ON reviews_decision
    FOR EACH ROW EXECUTE FUNCTION reviews_decision_guard();
"""

# An administrator voids one entered in error and corrects a member ID (services/corrections.py;
# member_key also follows the patient's by ON UPDATE CASCADE). Nothing else changes.
AUTHORIZATION_GUARD = """
CREATE FUNCTION reviews_authorization_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an authorization is never deleted; void it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state
        AND NOT (OLD.state = 'active' AND NEW.state = 'voided')
    THEN
        RAISE EXCEPTION 'authorization %: no change from % to %', OLD.number, OLD.state, NEW.state
            USING ERRCODE = 'check_violation', CONSTRAINT = 'authorization_state_move';
    END IF;
    IF to_jsonb(NEW) - 'state' - 'member_id' - 'member_key'
        IS DISTINCT FROM to_jsonb(OLD) - 'state' - 'member_id' - 'member_key'
    THEN
        RAISE EXCEPTION 'authorization %: only its state and member ID change', OLD.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'authorization_unchanged';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reviews_authorization_guard
    BEFORE UPDATE OR DELETE ON reviews_authorization
    FOR EACH ROW EXECUTE FUNCTION reviews_authorization_guard();
"""

EVENTS_APPEND_ONLY = """
CREATE FUNCTION reviews_caseevent_append_only() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'reviews_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER reviews_caseevent_append_only
    BEFORE UPDATE OR DELETE ON reviews_caseevent
    FOR EACH ROW EXECUTE FUNCTION reviews_caseevent_append_only();
"""


def dropping(*pairs: tuple[str, str]) -> str:
    """The reverse SQL: each (trigger, table) and its function of the same name."""
    return "".join(
        f"DROP TRIGGER IF EXISTS {trigger} ON {table};\nDROP FUNCTION IF EXISTS {trigger}();\n"
        for trigger, table in pairs
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0016_function_search_path")]

    operations = [
        migrations.RunSQL(CASE_GUARD, dropping(("reviews_case_guard", "reviews_case"))),
        migrations.RunSQL(
            DECIDED,
            dropping(
                ("reviews_case_decided", "reviews_case"),
                ("reviews_decision_decided", "reviews_decision"),
                ("reviews_authorization_approved", "reviews_authorization"),
            ),
        ),
        migrations.RunSQL(DECISION_GUARD, dropping(("reviews_decision_guard", "reviews_decision"))),
        migrations.RunSQL(
            AUTHORIZATION_GUARD,
            dropping(("reviews_authorization_guard", "reviews_authorization")),
        ),
        migrations.RunSQL(
            EVENTS_APPEND_ONLY, dropping(("reviews_caseevent_append_only", "reviews_caseevent"))
        ),
    ]
