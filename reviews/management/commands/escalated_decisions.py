"""List the decisions on escalated cases that a medical director did not make.

    python manage.py escalated_decisions     # report; exit 1 if any are found

Before 2026-11-26 a case escalated to the medical directors and then pended lost its escalation
when the clinic answered, and a pharmacist could decide it (security audit of that day). The
portal refuses that now; this finds the decisions made before, for a medical director to
re-check (reviews.selectors.escalated_decisions_by_others). Nothing is changed; a run that finds
any writes an audit row with the list.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.log import record as audit_record
from reviews.selectors import escalated_decisions_by_others


class Command(BaseCommand):
    help = "List decisions on escalated cases not made by a medical director."

    def handle(self, *args: Any, **options: Any) -> None:
        found = [
            {
                "reference": event.case.reference,
                "decision": event.action,
                "by": event.actor.username if event.actor else "",
                "role": event.actor_role,
                "at": event.created_at.isoformat(),
                "escalated_at": event.case.escalated_at.isoformat()
                if event.case.escalated_at
                else "",
            }
            for event in escalated_decisions_by_others()
        ]
        for row in found:
            self.stdout.write(
                f"RECHECK {row['reference']}: {row['decision']} by {row['by']} ({row['role']}) "
                f"at {row['at']}, escalated at {row['escalated_at']}"
            )
        if found:
            audit_record(action="escalated_decisions.found", actor=None, detail={"found": found})
            raise CommandError(
                f"{len(found)} decision(s) on escalated cases were not made by a medical "
                "director; have one re-check each."
            )
        self.stdout.write("every decision on an escalated case was a medical director's")
