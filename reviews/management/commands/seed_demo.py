from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.demo import ensure_demo_devices, ensure_demo_users
from reviews.demo import ensure_demo_cases


class Command(BaseCommand):
    help = "Create the demo clinics, users and cases once (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", required=True, help="password for new demo users")

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        users = ensure_demo_users(password)
        ensure_demo_devices(users)
        cases = ensure_demo_cases(users)
        if cases:
            self.stdout.write(f"demo cases made: {cases}")
        self.stdout.write(f"demo users ready: {', '.join(sorted(users))}")
