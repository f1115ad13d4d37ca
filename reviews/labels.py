"""The one place the portal takes a human label from for an internal code: criterion ids, fact
names (and the engine's evidence names such as "labs.TBILI"), lab codes, imaging kinds,
specialties, assays, HIV statuses, document "supports" values and line statuses.

The wording itself lives in criteria/labels.py (pure Python, so the engine's reasons use it
too); this module adds what the pages need: a label for any fact path, a value shown in words,
and every code that must never reach a page (tests/reviews/views/test_no_raw_codes.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from criteria.facts import FACTS_BY_CRITERION, FLAG_FIELDS
from criteria.labels import (
    ASSAY_LABELS,
    CRITERION_LABELS,
    FACT_LABELS,
    HIV_LABELS,
    IMAGING_LABELS,
    LAB_LABELS,
    SEX_LABELS,
    SPECIALTY_LABELS,
    assay_label,
    specialty_label,
)
from criteria.registry import POLICIES

from .models import Status

__all__ = [
    "ASSAY_LABELS",
    "CRITERION_LABELS",
    "FACT_LABELS",
    "HIV_LABELS",
    "IMAGING_LABELS",
    "LAB_LABELS",
    "SEX_LABELS",
    "SPECIALTY_LABELS",
    "STATUS_LABELS",
    "assay_label",
    "case_status_label",
    "criterion_label",
    "criterion_labels",
    "fact_error",
    "fact_label",
    "fact_sections",
    "fact_value",
    "internal_codes",
    "ruling_choices",
    "ruling_label",
    "specialty_label",
    "status_label",
]

STATUS_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
# A reviewer's ruling on a line, in words that cannot be misread: on an exclusion line "met"
# means the excluded condition is absent, so it says so (issue 16).
RULING_LABELS = STATUS_LABELS
EXCLUSION_RULING_LABELS = {
    "met": "Exclusion absent",
    "not_met": "Exclusion present",
    "unknown": "Unknown",
}
CASE_STATUS_LABELS = {str(value): str(label) for value, label in Status.choices}

# Each policy's criteria, for a criterion a short name does not cover (a future policy's).
_WORDING = {c.id: c.wording for policy in POLICIES.values() for c in policy.criteria}

# "labs[0].value", "imaging[1].date": a path into the facts document.
_ITEM = re.compile(r"^(labs|imaging)\[(\d+)\]\.(\w+)$")
_ITEM_PARTS = {"value": "result", "unit": "unit", "date": "date", "findings": "findings"}


def criterion_label(criterion_id: str) -> str:
    if criterion_id in CRITERION_LABELS:
        return CRITERION_LABELS[criterion_id]
    wording = _WORDING.get(criterion_id)
    return wording[:60] if wording else _words(criterion_id)


def criterion_labels(criterion_ids: Iterable[str]) -> str:
    return ", ".join(criterion_label(c) for c in criterion_ids)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, _words(status))


def ruling_label(kind: str, status: str) -> str:
    """A ruling in words for a line of this kind (criteria.results.Kind)."""
    words = EXCLUSION_RULING_LABELS if kind == "exclusion" else RULING_LABELS
    return words.get(status, _words(status))


def ruling_choices(kind: str) -> list[tuple[str, str]]:
    """The choices of a ruling on a line of this kind, in the order offered."""
    return [(status, ruling_label(kind, status)) for status in ("met", "not_met", "unknown")]


def case_status_label(status: str) -> str:
    return CASE_STATUS_LABELS.get(status, _words(status))


def fact_label(name: str) -> str:
    """A fact's or evidence item's name in words: "labs.TBILI" -> "Total bilirubin",
    "imaging.elastography" -> "Elastography", "labs[0].value" -> "Liver lab 1 result"."""
    if name in FACT_LABELS:
        return FACT_LABELS[name]
    group, _, code = name.partition(".")
    if group == "labs" and code:
        return LAB_LABELS.get(code.upper(), code)
    if group == "imaging" and code:
        return IMAGING_LABELS.get(code, _words(code))
    if match := _ITEM.match(name):
        what = "Liver lab" if match[1] == "labs" else "Liver imaging"
        part = _ITEM_PARTS.get(match[3], _words(match[3]).lower())
        return f"{what} {int(match[2]) + 1} {part}"
    if name == "$":
        return "Facts"
    return _words(name)


def fact_value(name: str, value: object) -> str:
    """A fact's value in words: yes/no for flags, labels for specialties, assays, HIV statuses
    and sex; dates and numbers as they are."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or (name in FLAG_FIELDS and value in ("true", "false")):
        return "Yes" if value in (True, "true") else "No"
    text = str(value)
    if name in ("prescriber_specialty", "recommending_specialist_specialty"):
        return specialty_label(text)
    if name == "inhibitor_assay":
        return assay_label(text)
    if name == "hiv_status":
        return HIV_LABELS.get(text, text)
    if name == "sex_assigned_at_birth":
        return SEX_LABELS.get(text, text)
    if name == "code":
        return LAB_LABELS.get(text, text)
    if name == "kind":
        return IMAGING_LABELS.get(text, text)
    return text


# Facts shown together on one line: a result with its unit, its method and its date.
_TOGETHER: dict[str, tuple[str, ...]] = {
    "fix_activity_value": ("fix_activity_unit", "fix_activity_date"),
    "inhibitor_titer_bu": ("inhibitor_assay", "inhibitor_test_date"),
}
_SHOWN_WITH = {part for parts in _TOGETHER.values() for part in parts}


def fact_sections(
    facts: Mapping[str, Any], criteria: Sequence[Any]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The clinic's facts under the policy's section headings, each as (label, text in words
    with its unit and date); criteria: the policy's CriterionDefs (id, section), in order.

    A section is a criterion's place in the policy without its item number ("... AND NONE of
    the following", not "... 3"); facts no criterion reads follow under "Other facts"."""
    sections: dict[str, list[tuple[str, str]]] = {}
    shown: set[str] = set()
    for criterion in criteria:
        heading = re.sub(
            r"( \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} \d+)+$", "", criterion.section
        )
        for name in FACTS_BY_CRITERION.get(criterion.id, ()):
            shown.add(name)
            if name in facts and name not in _SHOWN_WITH:
                sections.setdefault(heading, []).extend(_fact_rows(name, facts))
    rest = [
        row
        for name in facts
        if name not in shown and name not in _SHOWN_WITH
        for row in _fact_rows(name, facts)
    ]
    if rest:
        sections.setdefault("Other facts", []).extend(rest)
    return [(heading, rows) for heading, rows in sections.items() if rows]


def _fact_rows(name: str, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    value = facts[name]
    if name == "labs" and isinstance(value, list):
        return [
            (
                LAB_LABELS.get(str(lab.get("code")), str(lab.get("code"))),
                _dated(f"{lab.get('value', '')} {lab.get('unit') or ''}".strip(), lab.get("date")),
            )
            for lab in value
            if isinstance(lab, dict)
        ]
    if name == "imaging" and isinstance(value, list):
        return [
            (
                IMAGING_LABELS.get(str(img.get("kind")), _words(str(img.get("kind")))),
                _dated(str(img.get("findings") or "performed"), img.get("date")),
            )
            for img in value
            if isinstance(img, dict)
        ]
    if isinstance(value, list | dict):
        return []
    text = fact_value(name, value)
    if name == "fix_activity_value" and facts.get("fix_activity_unit"):
        text = f"{text} {facts['fix_activity_unit']}"
    if name == "inhibitor_titer_bu" and value not in (None, ""):
        assay = facts.get("inhibitor_assay")
        text = f"{text} BU" + (f", {assay_label(str(assay))} assay" if assay else "")
    dates = [facts.get(part) for part in _TOGETHER.get(name, ()) if part.endswith("_date")]
    return [(fact_label(name), _dated(text, dates[0] if dates else None))]


def _dated(text: str, on: object) -> str:
    return f"{text} ({on})" if on else text


def fact_error(path: str, message: str) -> str:
    """criteria.io's "path: message" with the path in words."""
    rest = message.removeprefix(f"{path}: ")
    return f"{fact_label(path)}: {rest}"


def _words(code: str) -> str:
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def internal_codes() -> set[str]:
    """Every code a page must not show as such: the ones a reader cannot mistake for a word
    (snake_case, hyphenated or an abbreviation only the engine uses)."""
    codes = {
        *CRITERION_LABELS,
        *_WORDING,
        *FACT_LABELS,
        *SPECIALTY_LABELS,
        *ASSAY_LABELS,
        *HIV_LABELS,
        *IMAGING_LABELS,
        *LAB_LABELS,
        *STATUS_LABELS,
        *CASE_STATUS_LABELS,
        *(f"labs.{code}" for code in LAB_LABELS),
        *(f"imaging.{kind}" for kind in IMAGING_LABELS),
    }
    return {c for c in codes if "_" in c or "-" in c or "." in c or c == "TBILI"}
