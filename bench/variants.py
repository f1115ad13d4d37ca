"""A few dozen variants of a request's facts, each with the engine's real checklist.

The generator reuses them across 100,000 cases: every stored checklist is a genuine
`criteria.evaluate(...).to_dict()` output, serialized once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from criteria import evaluate
from criteria.io import facts_from_dict
from reviews.demo import approvable_facts

Facts = dict[str, Any]
Change = Callable[[Facts], None]

DATE_OF_BIRTH = "1985-06-15"


@dataclass(frozen=True)
class Variant:
    name: str
    recommendation: str  # "approve" | "pend" | "deny"
    facts: str  # the clinic's facts, as JSON
    checklist: str  # Evaluation.to_dict(), as JSON
    snapshot: str  # what a Decision keeps: the facts document and the checklist, as JSON
    policy_id: str
    failing: list[str]
    missing: list[str]
    lines: list[tuple[str, str]]  # (criterion id, engine status)


def _set(**values: Any) -> Change:
    return lambda facts: facts.update(values)


def _drop(*names: str) -> Change:
    def change(facts: Facts) -> None:
        for name in names:
            facts.pop(name, None)

    return change


def _without_lab(code: str) -> Change:
    return lambda facts: facts.update(labs=[lab for lab in facts["labs"] if lab["code"] != code])


def _without_imaging(kind: str) -> Change:
    return lambda facts: facts.update(imaging=[i for i in facts["imaging"] if i["kind"] != kind])


PRODUCTS = ("Alprolix (eftrenonacog alfa)", "BeneFIX (nonacog alfa)", "Idelvion (albutrepenonacog)")
SPECIALTIES = ("hematology", "hematology_oncology", "hemophilia_treatment_center")

APPROVE: dict[str, list[Change]] = {
    f"approve-{i}": [
        _set(
            prophylaxis_product=PRODUCTS[i % 3],
            prescriber_specialty=SPECIALTIES[i // 3 % 3],
            fix_activity_value=("1.0", "0.5", "1.8")[i % 3],
        ),
        *(
            [_set(life_threatening_hemorrhage=False, repeated_serious_spontaneous_bleeding=True)]
            if i % 2
            else []
        ),
    ]
    for i in range(12)
}

PEND: dict[str, list[Change]] = {
    "pend-hiv": [_drop("hiv_status")],
    "pend-elastography": [_without_imaging("elastography")],
    "pend-ultrasound": [_without_imaging("hepatic_ultrasound")],
    "pend-bethesda": [_set(inhibitor_assay="bethesda")],
    "pend-fix-unit": [_drop("fix_activity_unit")],
    "pend-tbili": [_without_lab("TBILI")],
    "pend-hep-c": [_drop("hepatitis_c_active")],
    "pend-specialty": [_set(prescriber_specialty="internal_medicine")],
    "pend-bleeding": [
        _set(life_threatening_hemorrhage=False),
        _drop("repeated_serious_spontaneous_bleeding"),
    ],
    "pend-prophylaxis": [_drop("on_fix_prophylaxis", "prophylaxis_product")],
    "pend-gene-therapy": [_drop("other_gene_therapy_under_consideration")],
    "pend-liver-and-hiv": [_drop("imaging", "hiv_status"), _without_lab("ALP")],
}

DENY: dict[str, list[Change]] = {
    "deny-hemophilia-a": [_set(diagnosis_code="D66")],
    "deny-fix-activity": [_set(fix_activity_value="5")],
    "deny-titer": [_set(inhibitor_titer_bu="1.2")],
    "deny-inhibitor-history": [_set(fix_inhibitor_history=True)],
    "deny-hiv": [_set(hiv_status="positive_uncontrolled")],
    "deny-hep-b": [_set(hepatitis_b_active=True)],
    "deny-prior-gene-therapy": [_set(prior_hemophilia_b_gene_therapy=True)],
    "deny-specialist": [
        _set(prescriber_specialty="internal_medicine", recommending_specialist_specialty="none")
    ],
    "deny-bleeding": [_set(life_threatening_hemorrhage=False)],
    "deny-prophylaxis": [_set(on_fix_prophylaxis=False)],
    "deny-other-gene-therapy": [_set(other_gene_therapy_under_consideration=True)],
    "deny-titer-and-hep-c": [
        _set(inhibitor_titer_bu="0.9", hepatitis_c_active=True),
        _drop("hiv_status"),
    ],
}


def _variant(name: str, expected: str, changes: list[Change], today: date) -> Variant:
    facts = approvable_facts()
    for change in changes:
        change(facts)
    document = {
        **facts,
        "evaluation_date": today.isoformat(),
        "date_of_birth": DATE_OF_BIRTH,
        "sex_assigned_at_birth": "male",
        "active_approvals_on_file": 0,
    }
    result = evaluate(facts_from_dict(document)).to_dict()
    if result["recommendation"] != expected:
        raise ValueError(f"variant {name} evaluates to {result['recommendation']}, not {expected}")
    snapshot = {
        "facts": document,
        "checklist": result,
        "policy_id": result["policy_id"],
        "recommendation": result["recommendation"],
        "overrides": [],
    }
    return Variant(
        name=name,
        recommendation=expected,
        facts=json.dumps(facts),
        checklist=json.dumps(result),
        snapshot=json.dumps(snapshot),
        policy_id=result["policy_id"],
        failing=list(result["failing"]),
        missing=list(result["missing"]),
        lines=[(line["id"], line["status"]) for line in result["lines"]],
    )


def build_variants(today: date) -> dict[str, list[Variant]]:
    """Variants by recommendation: 12 each of approve, pend and deny."""
    groups = {"approve": APPROVE, "pend": PEND, "deny": DENY}
    return {
        expected: [_variant(name, expected, changes, today) for name, changes in specs.items()]
        for expected, specs in groups.items()
    }
