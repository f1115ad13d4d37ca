from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.enrolment import issue_link
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Issue a one-time two-factor enrolment link (24 h) for payer staff: for the first "
        "administrator of a new installation, or when no administrator can sign in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="the portal's address"
        )

    def handle(self, *args: Any, username: str, base_url: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username}")
        try:
            _, path = issue_link(user, issued_by=None)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(base_url.rstrip("/") + path)
