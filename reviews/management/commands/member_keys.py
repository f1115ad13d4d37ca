"""Report member keys that two active authorizations (or one clinic's two patient records)
share, and build the unique indexes that migration 0007 could not build while they did.

    python manage.py member_keys          # report; build what can be built; exit 1 if any remain

Nothing is voided or merged here: an administrator resolves each collision first (README,
"Member keys"). Each run that finds collisions writes an audit row.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.log import record as audit_record
from reviews.member_index import build_missing


class Command(BaseCommand):
    help = "Report member-key collisions and build the unique member-key indexes."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            built, colliding = build_missing(cursor)
            if colliding:
                audit_record(
                    action="member_keys.collisions",
                    actor=None,
                    detail={"collisions": [c.describe() for c in colliding], "built": built},
                )
        for name in built:
            self.stdout.write(f"built {name}")
        for collision in colliding:
            self.stdout.write(f"COLLISION {collision.describe()}")
        if colliding:
            raise CommandError(
                f"{len(colliding)} member key(s) are shared; resolve them (void the authorization "
                "entered in error, or correct a patient's member ID) and run this again."
            )
        self.stdout.write("every member key is unique; the unique indexes are in place")
