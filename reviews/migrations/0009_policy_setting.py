"""The payer's operating rules (PolicySetting) move from the audit app to reviews, which owns the
review operations they rule (issue 19: the audit log imports nothing above it). The table is
renamed; its row, constraint and the application role's grants stay as they are.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0008_appeals"),
        ("audit", "0006_hash_chain"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE audit_policysetting RENAME TO reviews_policysetting",
                    "ALTER TABLE reviews_policysetting RENAME TO audit_policysetting",
                )
            ],
            state_operations=[
                migrations.CreateModel(
                    name="PolicySetting",
                    fields=[
                        (
                            "id",
                            models.PositiveSmallIntegerField(
                                default=1, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        (
                            "review_clock_hours_standard",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(720),
                                ],
                                verbose_name="review clock, standard requests (hours)",
                            ),
                        ),
                        (
                            "review_clock_hours_expedited",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(720),
                                ],
                                verbose_name="review clock, expedited requests (hours)",
                            ),
                        ),
                        (
                            "clock_pauses_while_pended",
                            models.BooleanField(
                                blank=True,
                                null=True,
                                verbose_name="review clock pauses while a request is pended",
                            ),
                        ),
                        (
                            "denial_requires_medical_director",
                            models.BooleanField(
                                blank=True,
                                null=True,
                                verbose_name="only the medical director may deny",
                            ),
                        ),
                        (
                            "authorization_valid_days",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(3660),
                                ],
                                verbose_name="authorization valid for (days)",
                            ),
                        ),
                        (
                            "appeal_deadline_days",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(3660),
                                ],
                                verbose_name="appeal deadline (days after the decision)",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "policy settings",
                        "verbose_name_plural": "policy settings",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("id", 1)), name="policy_setting_single_row"
                            )
                        ],
                    },
                ),
            ],
        )
    ]
