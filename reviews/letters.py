"""Determination letters: the decision in plain words, drawn as PDF (reviews/letter_pdf.py).

Everything about the decision comes from the Decision's snapshot (the facts, checklist and
rulings the decision was made on), so a letter made again later says exactly the same; the
plan's letterhead, contacts and appeal address come from settings (PLAN_*).

What the rules ask of the notice and which part of the letter answers (README, "Letters"):
the specific reason in plain words and the criterion cited by name (CMS-0057-F, 42 CFR
422.568(e), NCQA UM 7), member and prescriber both addressed (NCQA UM 7), the right to the
criteria and documents free of charge and to discuss the decision with the reviewer (NCQA UM 7,
42 CFR 438.404), internal appeal with its deadline and standard and expedited clocks, external
review (45 CFR 147.136), language assistance and non-discrimination (45 CFR 92.10-92.11).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from .dosing import case_dose
from .letter_pdf import html_to_pdf
from .models import Decision
from .policy import current_policy_settings
from .workflow import DENIAL_BASIS_LABELS, DenialBasis


def failed_items(snapshot: Mapping[str, Any], failed_criteria: list[str]) -> list[dict[str, str]]:
    """Each failed criterion as the letter states it: wording, policy section, what we found.

    What we found is the reviewer's own ruling when they ruled the line not met or unknown (their
    reason is the finding), otherwise the engine's reason, plus what was asked for when the line stayed
    unknown.
    """
    lines = {line["id"]: line for line in snapshot.get("checklist", {}).get("lines", [])}
    rulings = {o["criterion"]: o for o in snapshot.get("overrides", [])}  # the latest wins
    items = []
    for criterion in failed_criteria:
        line = lines.get(criterion, {})
        ruling = rulings.get(criterion)
        if ruling is not None and ruling["ruling"] in ("not_met", "unknown"):
            # The reviewer's reason is the finding (a line ruled unknown: why the evidence on
            # file does not settle it, whatever the engine read).
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


def plan_contacts() -> dict[str, Any]:
    """The plan as the letterhead and the rights sections name it (settings, PLAN_*)."""
    appeal_hours = settings.APPEAL_CLOCK_HOURS
    return {
        "name": settings.PLAN_NAME,
        "address": settings.PLAN_ADDRESS,
        "phone": settings.PLAN_PHONE,
        "tty": settings.PLAN_TTY,
        "fax": settings.PLAN_FAX,
        "website": settings.PLAN_WEBSITE,
        "appeals_address": settings.PLAN_APPEALS_ADDRESS,
        "appeals_fax": settings.PLAN_APPEALS_FAX,
        "civil_rights": settings.PLAN_CIVIL_RIGHTS_CONTACT,
        "appeal_standard_days": max(1, int(appeal_hours["standard"]) // 24),
        "appeal_expedited_hours": int(appeal_hours["expedited"]),
        "external_review_days": settings.EXTERNAL_REVIEW_DAYS,
    }


def letter_context(decision: Decision) -> dict[str, Any]:
    case = decision.case
    decided_on = timezone.localdate(decision.created_at)
    appeal_days = current_policy_settings().appeal_deadline_days
    return {
        "plan": plan_contacts(),
        "appeal_of": case.appeal_of,
        "dose": case_dose(case),
        "decision": decision,
        "case": case,
        "patient": case.patient,
        "clinic": case.organization,
        "reviewer": decision.decided_by,
        "failed": failed_items(decision.snapshot, decision.failed_criteria),
        "denial": denial_basis(decision),
        "authorization": getattr(case, "authorization", None),
        "decided_on": decided_on,
        "appeal_deadline": decided_on + timedelta(days=appeal_days),
        "appeal_days": appeal_days,
        "policy_id": decision.snapshot.get("policy_id", case.policy_id),
    }


def denial_basis(decision: Decision) -> dict[str, str] | None:
    """What a denial rests on, as the letter says it (issue 16): the basis, its label and the
    medical director's explanation. Denials made before the basis was recorded rest on their
    cited lines."""
    if decision.outcome != Decision.Outcome.DENIED:
        return None
    denial = decision.snapshot.get("denial") or {}
    basis = denial.get("basis") or DenialBasis.NOT_MET
    return {
        "basis": basis,
        "label": DENIAL_BASIS_LABELS.get(basis, basis),
        "explanation": denial.get("explanation", ""),
    }


def render_letter_html(decision: Decision) -> str:
    return render_to_string("reviews/letters/determination.html", letter_context(decision))


def render_letter_pdf(decision: Decision) -> bytes:
    case = decision.case
    return html_to_pdf(
        render_letter_html(decision),
        footer=case.reference,
        title=f"Prior authorization determination {case.reference}",
        author=settings.PLAN_NAME,
    )
