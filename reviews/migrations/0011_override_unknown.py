from django.db import migrations, models


class Migration(migrations.Migration):
    """A reviewer may rule a checklist line unknown, not only met or not met (issue 16)."""

    dependencies = [
        ("reviews", "0010_case_notes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="checklistoverride",
            name="status",
            field=models.CharField(
                choices=[("met", "Met"), ("not_met", "Not met"), ("unknown", "Unknown")],
                max_length=10,
            ),
        ),
    ]
