"""The queue's index carries escalated_at: which unheld cases a pharmacist may claim depends on
it since 0015, and without it the queue's count visited each open case's row."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reviews", "0019_case_clinic_of_patient")]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_open_queue",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("submitted", "in_review", "pended", "escalated"))
                ),
                fields=["assigned_to", "status"],
                include=("due_at", "clock_paused_at", "escalated_at"),
                name="case_open_queue",
            ),
        ),
    ]
