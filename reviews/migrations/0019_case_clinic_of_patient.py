"""A case belongs to its patient's clinic, in PostgreSQL (security audit of 2026-11-26): a case
row naming one clinic's patient and another clinic's organization, which the clinic pages would
show to the wrong clinic, is refused at commit by a (patient, clinic) foreign key; and a patient
with cases cannot be moved to another clinic under them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reviews", "0018_value_choices")]

    operations = [
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                fields=("id", "organization"), name="patient_id_organization"
            ),
        ),
        migrations.RunSQL(
            """ALTER TABLE reviews_case ADD CONSTRAINT case_clinic_of_patient
                FOREIGN KEY (patient_id, organization_id)
                REFERENCES reviews_patient (id, organization_id)
                DEFERRABLE INITIALLY DEFERRED""",
            "ALTER TABLE reviews_case DROP CONSTRAINT case_clinic_of_patient",
        ),
    ]
