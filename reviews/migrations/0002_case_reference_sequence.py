from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [
        # Case references (PA-2026-000123) come from a sequence: unique without a retry loop.
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS reviews_case_reference_seq START 1",
            "DROP SEQUENCE IF EXISTS reviews_case_reference_seq",
        )
    ]
