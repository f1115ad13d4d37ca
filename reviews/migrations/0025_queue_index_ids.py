"""The queue's index carries the case id too: the page's 25 ids are then sorted by due time from
the index alone (an index-only scan), where each open case's row was visited for its id (issue
20: the page's query 2.4 -> 1.6 ms at 100,000 cases, bench/README.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reviews", "0024_decision_decider")]

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
                include=("due_at", "clock_paused_at", "escalated_at", "id"),
                name="case_open_queue",
            ),
        ),
    ]
