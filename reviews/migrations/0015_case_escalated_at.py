from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def mark_escalated_cases(apps, schema_editor):
    """Cases escalated before the column existed get the time of their first escalation, read
    from the case history: an escalated case pended then is the directors' like any other."""
    Case = apps.get_model("reviews", "Case")
    CaseEvent = apps.get_model("reviews", "CaseEvent")
    escalations = CaseEvent.objects.filter(case=OuterRef("pk"), action="escalate")
    Case.objects.filter(Exists(escalations)).update(
        escalated_at=Subquery(escalations.order_by("created_at", "pk").values("created_at")[:1])
    )


class Migration(migrations.Migration):
    """Case.escalated_at: once escalated, a case stays the medical directors' (workflow)."""

    dependencies = [
        ("reviews", "0014_name_key_look_alikes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_escalated_cases, migrations.RunPython.noop, elidable=True),
    ]
