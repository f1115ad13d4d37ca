"""Determination letters: the decision in plain words, rendered to PDF with WeasyPrint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Decision


def letter_context(decision: Decision) -> dict[str, Any]:
    case = decision.case
    lines = {line["id"]: line for line in decision.snapshot.get("checklist", {}).get("lines", [])}
    failed = [
        {
            "id": criterion,
            "section": lines.get(criterion, {}).get("section", ""),
            "wording": lines.get(criterion, {}).get("wording", criterion),
            "reason": lines.get(criterion, {}).get("reason", ""),
        }
        for criterion in decision.failed_criteria
    ]
    decided_on = timezone.localdate(decision.created_at)
    return {
        "decision": decision,
        "case": case,
        "patient": case.patient,
        "clinic": case.organization,
        "reviewer": decision.decided_by,
        "failed": failed,
        "authorization": getattr(case, "authorization", None),
        "decided_on": decided_on,
        "appeal_deadline": decided_on + timedelta(days=int(settings.APPEAL_DEADLINE_DAYS)),
        "appeal_days": settings.APPEAL_DEADLINE_DAYS,
        "policy_id": decision.snapshot.get("policy_id", case.policy_id),
    }


def render_letter_html(decision: Decision) -> str:
    return render_to_string("reviews/letters/determination.html", letter_context(decision))


def render_letter_pdf(decision: Decision) -> bytes:
    from weasyprint import HTML  # heavy import, only where letters are made

    pdf = HTML(string=render_letter_html(decision)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
