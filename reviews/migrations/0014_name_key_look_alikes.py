"""Last names read with look-alike letters (audit of 2026-11-26): a Cyrillic or Greek letter that
looks like a Latin one now counts as that letter in Patient.name_key (reviews.members.name_key),
so the "possible same person" match finds Example spelled with a Cyrillic Ie (U+0415) beside
Example. Existing keys are computed again; only names with a letter outside ASCII can change."""

from django.db import migrations


def recompute(apps, schema_editor):
    from reviews.members import name_key

    Patient = apps.get_model("reviews", "Patient")
    changed = []
    for patient in (
        Patient.objects.exclude(last_name__regex=r"^[ -~]*$")
        .only("pk", "last_name", "name_key")
        .iterator()
    ):
        key = name_key(patient.last_name)
        if key != patient.name_key:
            patient.name_key = key
            changed.append(patient)
    Patient.objects.bulk_update(changed, ["name_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0013_document_removal_reason_default")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
