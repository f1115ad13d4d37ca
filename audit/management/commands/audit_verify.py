from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify_and_record


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain, name the first row changed, removed or inserted out of "
        "order, and record the result as an audit row. Exits 1 when the chain is broken."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_and_record()
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
