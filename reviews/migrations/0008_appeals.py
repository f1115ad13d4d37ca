"""Appeals (issue 17): a case may appeal one denied case (appeal_of), once; and PostgreSQL itself
lets only a medical director who did not make the original decision decide an appeal (NCQA UM:
a practitioner not involved in the denial), whatever door the decision came through."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# Before a decision is written (or its case or decider changed): on an appeal, the decider must be
# a medical director and not whoever decided the appealed case. check_violation, so Django raises
# IntegrityError.
APPEAL_DECIDER_SQL = """
CREATE FUNCTION reviews_appeal_decider() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    appealed bigint;
BEGIN
    SELECT appeal_of_id INTO appealed FROM reviews_case WHERE id = NEW.case_id;
    IF appealed IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM accounts_user WHERE id = NEW.decided_by_id AND role = 'medical_director'
    ) THEN
        RAISE EXCEPTION 'an appeal is decided by a medical director'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appeal_decided_by_director';
    END IF;
    IF EXISTS (
        SELECT 1 FROM reviews_decision
        WHERE case_id = appealed AND decided_by_id = NEW.decided_by_id
    ) THEN
        RAISE EXCEPTION 'an appeal is decided by someone who did not make the original decision'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'appeal_decided_by_another';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER decision_appeal_decider
    BEFORE INSERT OR UPDATE OF case_id, decided_by_id ON reviews_decision
    FOR EACH ROW EXECUTE FUNCTION reviews_appeal_decider();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_hash_drf_tokens"),
        ("reviews", "0007_member_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="appeal_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appeals",
                to="reviews.case",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("appeal_of__isnull", False)),
                fields=("appeal_of",),
                name="one_appeal_per_case",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(("appeal_of", models.F("id")), _negated=True),
                name="case_appeal_not_itself",
            ),
        ),
        migrations.RunSQL(
            sql=APPEAL_DECIDER_SQL,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS decision_appeal_decider ON reviews_decision;"
                "DROP FUNCTION IF EXISTS reviews_appeal_decider();"
            ),
        ),
    ]
