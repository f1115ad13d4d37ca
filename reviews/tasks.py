"""Background work queued by the services after their transaction commits."""

from __future__ import annotations

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone

from .letters import render_letter_pdf
from .models import Decision
from .services import record_event
from .services.base import service_transaction
from .workflow import Action


@shared_task(
    name="reviews.generate_letter",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def generate_letter(decision_id: int) -> str:
    """Render the determination letter once; running it again changes nothing. Its audit rows
    (the letter's event, the clinic's notifications) are written together at the end, as a
    service's are (service_transaction)."""
    with service_transaction():
        decision = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("case", "case__patient", "case__organization", "decided_by")
            .filter(pk=decision_id)
            .first()
        )
        if decision is None:
            # The decision's transaction never committed (or the row is gone): nothing to do,
            # and retrying would never succeed.
            return ""
        if decision.letter:
            return str(decision.letter.name)
        pdf = render_letter_pdf(decision)
        decision.letter.save(
            f"{decision.case.reference}-determination.pdf", ContentFile(pdf), save=False
        )
        decision.letter_generated_at = timezone.now()
        decision.save(update_fields=["letter", "letter_generated_at"])
        record_event(
            decision.case,
            None,
            Action.LETTER,
            detail={"decision_id": decision.pk, "bytes": len(pdf)},
        )
    return str(decision.letter.name)
