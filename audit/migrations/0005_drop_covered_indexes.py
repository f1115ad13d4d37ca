"""Drop the audit log's foreign-key indexes on actor_id and case_id: audit_actor_at and
audit_case_at lead with the same columns. State-only AlterField plus DROP INDEX CONCURRENTLY, as
in reviews/migrations/0006_drop_covered_indexes.py, which says why."""

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
