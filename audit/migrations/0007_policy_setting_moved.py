"""PolicySetting now lives in reviews (its migration 0009 renames the table): only Django's
record of the model leaves this app."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_hash_chain"),
        ("reviews", "0009_policy_setting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PolicySetting")],
        )
    ]
