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
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0004_bench_indexes"),
        ("reviews", "0005_bench_case_storage"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="auditlog",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditlog",
            name="case",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_rows",
                to="reviews.case",
            ),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "audit_auditlog_actor_id_20e70a27"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_auditlog_actor_id_20e70a27" ON "audit_auditlog" ("actor_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "audit_auditlog_case_id_ec3a826d"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_auditlog_case_id_ec3a826d" ON "audit_auditlog" ("case_id")',
                ),
            ],
        )
    ]
