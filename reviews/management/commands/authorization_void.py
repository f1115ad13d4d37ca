"""Void an authorization entered in error (an administrator's correction, audited).

python manage.py authorization_void HGX-2026-000123 --by admin --reason "entered twice"
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from reviews import services


class Command(BaseCommand):
    help = "Void an authorization entered in error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--by", required=True, help="the administrator's username")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["by"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['by']}.")
        try:
            services.authorization_void(
                actor=actor, number=options["number"], reason=options["reason"]
            )
        except services.ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"voided {options['number']}")
