"""Determination letters: the decision in plain words, rendered to PDF with WeasyPrint.

Everything printed comes from the Decision's snapshot (the facts, checklist and rulings the
decision was made on), so a letter made again later says exactly the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from audit.policy import current_policy_settings

from .models import Decision


def failed_items(snapshot: Mapping[str, Any], failed_criteria: list[str]) -> list[dict[str, str]]:
    """Each failed criterion as the letter states it: wording, policy section, what we found.

    What we found is the reviewer's own ruling when they ruled the line not met (their reason is
    the finding), otherwise the engine's reason, plus what was asked for when the line stayed
    unknown.
    """
    lines = {line["id"]: line for line in snapshot.get("checklist", {}).get("lines", [])}
    rulings = {o["criterion"]: o for o in snapshot.get("overrides", [])}  # the latest wins
    items = []
    for criterion in failed_criteria:
        line = lines.get(criterion, {})
        ruling = rulings.get(criterion)
        if ruling is not None and ruling["ruling"] == "not_met":
            found = ruling["reason"]
        elif line.get("status") == "unknown":
            asked = line.get("request_for_information") or ""
            found = f"The information needed was not provided. {asked}".strip()
        else:
            found = line.get("reason", "")
        items.append(
            {
                "id": criterion,
                "wording": line.get("wording", criterion),
                "section": line.get("section", ""),
                "found": found,
            }
        )
    return items


def letter_context(decision: Decision) -> dict[str, Any]:
    case = decision.case
    decided_on = timezone.localdate(decision.created_at)
    appeal_days = current_policy_settings().appeal_deadline_days
    return {
        "decision": decision,
        "case": case,
        "patient": case.patient,
        "clinic": case.organization,
        "reviewer": decision.decided_by,
        "failed": failed_items(decision.snapshot, decision.failed_criteria),
        "authorization": getattr(case, "authorization", None),
        "decided_on": decided_on,
        "appeal_deadline": decided_on + timedelta(days=appeal_days),
        "appeal_days": appeal_days,
        "policy_id": decision.snapshot.get("policy_id", case.policy_id),
    }


def render_letter_html(decision: Decision) -> str:
    return render_to_string("reviews/letters/determination.html", letter_context(decision))


def render_letter_pdf(decision: Decision) -> bytes:
    from weasyprint import HTML  # heavy import, only where letters are made

    pdf = HTML(string=render_letter_html(decision)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
