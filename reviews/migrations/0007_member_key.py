"""One canonical member key (reviews.members.member_key) on patients, cases and authorizations,
and replay state in its own table (IntakeKey) instead of a column of the case.

The key is computed here in SQL with the same rule the application uses (NFKC, then only the
ASCII letters and digits, upper-cased; for every member ID the application accepts, the two
agree), and PostgreSQL keeps it so: a check on the patient, and composite foreign keys from the
case to its patient and from the authorization to its case, so no row can carry another key.

Where the canonical key makes two existing rows one (two active authorizations, or one clinic's
two patient records), the unique index is not built and nothing is voided or merged: the rows are
printed, and `manage.py member_keys` reports them (with an audit row) and builds the index once
an administrator has resolved them (README, "Member keys").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from reviews.member_index import AUTHORIZATION_INDEX, PATIENT_CONSTRAINT, build_missing

KEY_SQL = "upper(regexp_replace(normalize({column}, NFKC), '[^A-Za-z0-9]', '', 'g'))"
PATIENT_KEY = KEY_SQL.format(column="member_id")


def fill_keys(apps, schema_editor):
    from reviews.members import name_key

    Patient = apps.get_model("reviews", "Patient")
    with schema_editor.connection.cursor() as cursor:
        # KEY_SQL is a constant of this file; no input reaches it.
        cursor.execute(f"UPDATE reviews_patient SET member_key = {PATIENT_KEY}")  # noqa: S608
        cursor.execute(
            "UPDATE reviews_case c SET member_key = p.member_key FROM reviews_patient p "
            "WHERE p.id = c.patient_id"
        )
        cursor.execute(
            "UPDATE reviews_authorization a SET member_key = c.member_key FROM reviews_case c "
            "WHERE c.id = a.case_id"
        )
    for patient in Patient.objects.only("pk", "last_name").iterator():
        Patient.objects.filter(pk=patient.pk).update(name_key=name_key(patient.last_name))


def move_idempotency_keys(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reviews_intakekey (organization_id, door, key, fingerprint, case_id, "
            "created_at) SELECT organization_id, CASE WHEN idempotency_key LIKE 'api:%%' "
            "THEN 'api' ELSE 'fhir' END, CASE WHEN idempotency_key LIKE 'api:%%' "
            "THEN substr(idempotency_key, 5) ELSE '|' || substr(idempotency_key, 5) END, '', id, "
            "created_at FROM reviews_case WHERE idempotency_key IS NOT NULL"
        )


def build_unique_keys(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _, colliding = build_missing(cursor)
    for collision in colliding:
        print(f"\n  NOT BUILT (resolve, then run manage.py member_keys): {collision.describe()}")


def drop_unique_keys(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {AUTHORIZATION_INDEX}")
        cursor.execute(
            f"ALTER TABLE reviews_patient DROP CONSTRAINT IF EXISTS {PATIENT_CONSTRAINT}"
        )


DATABASE_RULES = (
    f"""ALTER TABLE reviews_patient ADD CONSTRAINT patient_member_key_of_member_id
        CHECK (member_key = {KEY_SQL.format(column="member_id")})""",
    """ALTER TABLE reviews_case ADD CONSTRAINT case_member_key_of_patient
        FOREIGN KEY (patient_id, member_key) REFERENCES reviews_patient (id, member_key)
        ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED""",
    """ALTER TABLE reviews_authorization ADD CONSTRAINT authorization_member_key_of_case
        FOREIGN KEY (case_id, member_key) REFERENCES reviews_case (id, member_key)
        ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED""",
)
DROP_RULES = (
    "ALTER TABLE reviews_authorization DROP CONSTRAINT authorization_member_key_of_case",
    "ALTER TABLE reviews_case DROP CONSTRAINT case_member_key_of_patient",
    "ALTER TABLE reviews_patient DROP CONSTRAINT patient_member_key_of_member_id",
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("reviews", "0006_drop_covered_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # --- the key ---------------------------------------------------------------------------
        migrations.AlterField(
            model_name="patient",
            name="member_id",
            field=models.CharField(max_length=60, verbose_name="health plan member ID"),
        ),
        migrations.AlterField(
            model_name="case", name="member_id", field=models.CharField(max_length=60)
        ),
        migrations.AlterField(
            model_name="authorization", name="member_id", field=models.CharField(max_length=60)
        ),
        migrations.AddField(
            model_name="patient",
            name="member_key",
            field=models.CharField(max_length=30, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="patient",
            name="name_key",
            field=models.CharField(max_length=100, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="case",
            name="member_key",
            field=models.CharField(max_length=30, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="authorization",
            name="member_key",
            field=models.CharField(max_length=30, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="authorization", name="one_active_hemgenix_authorization_per_member"
        ),
        migrations.RemoveConstraint(model_name="patient", name="patient_member_unique_per_clinic"),
        migrations.RemoveIndex(model_name="case", name="case_member_upper"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["member_key"], name="case_member_key"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["name_key", "date_of_birth", "sex_assigned_at_birth"],
                name="patient_same_person",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.CheckConstraint(
                condition=models.Q(member_key__regex="^[A-Z0-9]{1,30}$"),
                name="patient_member_key_form",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                fields=("id", "member_key"), name="patient_id_member_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                fields=("id", "member_key"), name="case_id_member_key"
            ),
        ),
        migrations.RunSQL(DATABASE_RULES, DROP_RULES),
        # The unique keys: declared for Django, built only where the rows allow it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(state="active"),
                        fields=("member_key",),
                        name=AUTHORIZATION_INDEX,
                    ),
                ),
                migrations.AddConstraint(
                    model_name="patient",
                    constraint=models.UniqueConstraint(
                        fields=("organization", "member_key"), name=PATIENT_CONSTRAINT
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(build_unique_keys, drop_unique_keys)],
        ),
        # --- replay state ----------------------------------------------------------------------
        migrations.CreateModel(
            name="IntakeKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "door",
                    models.CharField(
                        choices=[
                            ("api", "REST API"),
                            ("fhir", "FHIR $submit"),
                            ("fhir_update", "FHIR Claim update"),
                        ],
                        max_length=12,
                    ),
                ),
                ("key", models.CharField(max_length=300)),
                ("fingerprint", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="intake_keys",
                        to="reviews.case",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "door", "key"), name="intake_key_unique_per_clinic"
                    )
                ]
            },
        ),
        migrations.RunPython(move_idempotency_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="case", name="case_idempotency_key_unique_per_clinic"
        ),
        migrations.RemoveField(model_name="case", name="idempotency_key"),
        # --- possible same person --------------------------------------------------------------
        migrations.CreateModel(
            name="IdentityRuling",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("other_member_key", models.CharField(max_length=30)),
                (
                    "ruling",
                    models.CharField(
                        choices=[("same", "Same person"), ("different", "Different person")],
                        max_length=10,
                    ),
                ),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="identity_rulings",
                        to="reviews.case",
                    ),
                ),
                (
                    "ruled_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("ruling", "same"),
                            models.Q(("reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="identity_ruling_reason",
                    )
                ],
            },
        ),
    ]
