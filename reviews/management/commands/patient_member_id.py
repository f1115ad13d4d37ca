"""Correct the member ID of a patient record typed wrongly (an administrator's correction,
audited on each of its cases; its cases and authorizations follow).

    python manage.py patient_member_id 42 FEP-200101 --by admin --reason "typo at intake"
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from reviews import services
from reviews.models import Patient


class Command(BaseCommand):
    help = "Correct a patient record's member ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("patient_id", type=int)
        parser.add_argument("member_id")
        parser.add_argument("--by", required=True, help="the administrator's username")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["by"], is_active=True).first()
        patient = Patient.objects.filter(pk=options["patient_id"]).first()
        if actor is None or patient is None:
            raise CommandError("No such active user or patient.")
        try:
            corrected = services.patient_correct_member_id(
                actor=actor,
                patient=patient,
                member_id=options["member_id"],
                reason=options["reason"],
            )
        except services.ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"patient {patient.pk} is now member {corrected.member_id}")
