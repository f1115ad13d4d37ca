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

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from .dosing import case_dose
from .letter_pdf import draws, html_to_pdf
from .models import Decision
from .policy import appeal_deadline_of, appeal_window_days
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
    appeal_days = appeal_window_days(decision)
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
        "appeal_deadline": appeal_deadline_of(decision),
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
    """The letter drawn directly (reviews/letter_pdf.py, ~15 ms) when it can draw every
    character as it reads, else laid out by WeasyPrint (~65 ms), which orders right-to-left text
    and joins Arabic letters with Pango, and takes other fonts the system has for what DejaVu Sans
    lacks. Both read the same template."""
    case = decision.case
    html = render_letter_html(decision)
    if not draws(html):
        return _general_engine_pdf(html)
    return html_to_pdf(
        html,
        footer=case.reference,
        title=f"Prior authorization determination {case.reference}",
        author=settings.PLAN_NAME,
    )


def _general_engine_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import, only for the letters that need it

    pdf = HTML(string=html, url_fetcher=_no_fetching()).write_pdf(font_config=_font_config())
    assert pdf is not None
    return bytes(pdf)


_per_thread = threading.local()  # WeasyPrint's font configuration and URL fetcher


def _font_config() -> Any:
    """One WeasyPrint font configuration per thread (fontconfig's state is not shared across
    threads): setting it up again for every letter was ~10 % of a letter's CPU (issue 20). The
    letter declares no @font-face, so there is nothing of one letter in it for the next."""
    if not hasattr(_per_thread, "config"):
        from weasyprint.text.fonts import FontConfiguration

        _per_thread.config = FontConfiguration()
    return _per_thread.config


def _no_fetching() -> Any:
    """A URL fetcher that fetches nothing: a letter is made from its template alone, never from
    the network or the file system, whatever its text says (a URL in a reason stays text).

    WeasyPrint's default fetcher builds an HTTPS context for every document it is given, which
    loads the system's certificate store: ~17 ms, a fifth of a letter's CPU (issue 20)."""
    if not hasattr(_per_thread, "fetcher"):
        _per_thread.fetcher = _refusing_fetcher_type()()
    return _per_thread.fetcher


def _refusing_fetcher_type() -> type:
    from urllib import request

    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):
        def __init__(self) -> None:
            request.OpenerDirector.__init__(self)  # no handlers: nothing can be opened
            self._fail_on_errors = False
            self._request = None

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise LetterFetchRefused(url)

    return RefusingFetcher


class LetterFetchRefused(ValueError):
    """A letter's markup asked for an outside resource (WeasyPrint logs it and leaves it out)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"a determination letter loads nothing from outside: {url[:200]}")
