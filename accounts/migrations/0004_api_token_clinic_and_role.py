"""API tokens remember the clinic and role they were issued for (audit of 2026-11-26): a token
answers only while its user still has both. Existing tokens take their user's present ones."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE accounts_apitoken t SET organization_id = u.organization_id, role = u.role
FROM accounts_user u WHERE u.id = t.user_id
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_hash_drf_tokens")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="role",
            field=models.CharField(
                choices=[
                    ("prescriber", "Prescriber office staff"),
                    ("pharmacist", "Pharmacist reviewer"),
                    ("medical_director", "Medical director"),
                    ("auditor", "Auditor"),
                    ("admin", "Administrator"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
