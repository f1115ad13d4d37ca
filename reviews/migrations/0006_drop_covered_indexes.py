"""Drop the single-column indexes that a composite index already covers (its leading column).

Each served only lookups that the composite serves as well (PostgreSQL uses a btree's leading
column alone), so they cost writes and storage for nothing: on the 100,000-case benchmark data
set ~37 MB, on the tables written most (bench/README.md, issue 9). Case.member_id is only ever
searched case-insensitively (case_member_upper); the lifetime limit reads Authorization.

Django's AlterField would drop each foreign key constraint and add it back, validating every row
under a lock that blocks writes; here the state changes alone, and the database only loses the
indexes, CONCURRENTLY (hence not atomic), so reads and writes go on while it runs.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0001_initial"),
        ("reviews", "0005_bench_case_storage"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="case",
            name="member_id",
            field=models.CharField(max_length=30),
        ),
        migrations.AlterField(
            model_name="case",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="reviews.case",
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="patients",
                to="accounts.organization",
            ),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "reviews_case_member_id_8ff977c3"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "reviews_case_member_id_8ff977c3" ON "reviews_case" ("member_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "reviews_case_member_id_8ff977c3_like"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "reviews_case_member_id_8ff977c3_like" ON "reviews_case" ("member_id" varchar_pattern_ops)',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "reviews_case_organization_id_ce14269f"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "reviews_case_organization_id_ce14269f" ON "reviews_case" ("organization_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "reviews_caseevent_case_id_eed149a9"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "reviews_caseevent_case_id_eed149a9" ON "reviews_caseevent" ("case_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "reviews_patient_organization_id_e06167ee"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "reviews_patient_organization_id_e06167ee" ON "reviews_patient" ("organization_id")',
                ),
            ],
        )
    ]
