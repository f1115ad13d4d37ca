"""Policy versions: the real one matches its source text; variants are data, not code."""

import itertools
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from criteria import (
    FEP_HEMGENIX_2024_01,
    POLICIES,
    NoPolicyInForce,
    Policy,
    evaluate,
    policy_for,
    registry,
)
from tests.criteria.factories import CRITERION_IDS, facts

SOURCE = Path(__file__).resolve().parents[2] / "criteria" / "policy_texts"


def _flat(text: str) -> str:
    """Policy text with runs of whitespace collapsed, so line breaks don't matter."""
    return re.sub(r"\s+", " ", text).strip()


def test_it_has_a_line_for_every_criterion_of_the_policy() -> None:
    assert tuple(c.id for c in FEP_HEMGENIX_2024_01.criteria) == CRITERION_IDS
    kinds = [c.kind for c in FEP_HEMGENIX_2024_01.criteria]
    assert kinds == ["requirement"] * 8 + ["exclusion"] * 5 + ["limit"]


def test_it_quotes_the_policy_wording_verbatim() -> None:
    text = _flat((SOURCE / f"{FEP_HEMGENIX_2024_01.id}.txt").read_text(encoding="utf-8"))
    for criterion in FEP_HEMGENIX_2024_01.criteria:
        # "a. ... b. ..." sub-items and headings run together in the flattened text.
        assert _flat(criterion.wording) in text, criterion.id


def test_it_names_each_section_the_way_the_policy_is_laid_out() -> None:
    sections = {c.id: c.section for c in FEP_HEMGENIX_2024_01.criteria}
    assert sections["age"] == "Prior-Approval Requirements \u203a Age"
    assert sections["fix_activity"] == (
        "Prior-Approval Requirements \u203a Diagnosis \u203a AND ALL of the following \u203a 1"
    )
    assert sections["excl_inhibitor_titer"] == (
        "Prior-Approval Requirements \u203a Diagnosis \u203a AND NONE of the following \u203a 2"
    )
    assert sections["lifetime_limit"] == "Prior - Approval Limits \u203a Quantity"


def test_it_holds_the_thresholds_as_data() -> None:
    p = FEP_HEMGENIX_2024_01
    assert (p.id, p.effective_from, p.effective_to) == (
        "fep-hemgenix-2024-01",
        date(2024, 1, 1),
        None,
    )
    assert p.min_age_years == 18
    assert p.fix_max_percent == Decimal("2.0")
    assert p.inhibitor_bu_cutoff == Decimal("0.6")
    assert p.required_liver_labs == ("ALT", "AST", "ALP", "TBILI")
    assert p.required_imaging == ("hepatic_ultrasound", "elastography")
    assert p.diagnosis_codes == ("D67",)
    assert p.lifetime_approvals_limit == 1
    assert "hematology" in p.specialist_specialties


def test_it_registers_only_the_version_in_force_from_2024() -> None:
    assert list(POLICIES) == ["fep-hemgenix-2024-01"]
    assert policy_for(date(2024, 1, 1)) is FEP_HEMGENIX_2024_01
    assert policy_for(date(2031, 6, 30)) is FEP_HEMGENIX_2024_01


@pytest.mark.parametrize("day", [date(2023, 12, 31), date(2020, 1, 1)])
def test_it_refuses_a_date_before_any_version_naming_the_date(day: date) -> None:
    with pytest.raises(NoPolicyInForce, match=day.isoformat()) as raised:
        evaluate(facts(evaluation_date=day))
    assert raised.value.date == day


def test_it_records_which_version_it_used() -> None:
    evaluation = evaluate(facts())
    assert evaluation.policy_id == "fep-hemgenix-2024-01"
    assert evaluation.evaluated_on == date(2024, 3, 15)


def _successor() -> tuple[Policy, Policy]:
    """The 2024 version closed at the end of 2025 and a revision from 2026 that raises
    the age to 21: both built from data alone."""
    closed = replace(FEP_HEMGENIX_2024_01, effective_to=date(2025, 12, 31))
    revision = replace(
        FEP_HEMGENIX_2024_01,
        id="fep-hemgenix-2026-01",
        effective_from=date(2026, 1, 1),
        min_age_years=21,
    )
    return closed, revision


def test_it_picks_the_version_in_force_on_the_request_date(monkeypatch: pytest.MonkeyPatch) -> None:
    closed, revision = _successor()
    monkeypatch.setattr(registry, "POLICIES", {p.id: p for p in (closed, revision)})
    # Born 2006-01-01: 19 on the last day of the old version, 20 on the first of the new.
    before = evaluate(facts(evaluation_date=date(2025, 12, 31), date_of_birth=date(2006, 1, 1)))
    after = evaluate(facts(evaluation_date=date(2026, 1, 1), date_of_birth=date(2006, 1, 1)))
    assert (before.policy_id, before.line("age").status) == ("fep-hemgenix-2024-01", "met")
    assert (after.policy_id, after.line("age").status) == ("fep-hemgenix-2026-01", "not_met")
    assert "policy requires 21 or older" in after.line("age").reason


def test_it_treats_effective_to_as_the_last_day_in_force() -> None:
    closed, revision = _successor()
    assert policy_for(date(2025, 12, 31), [closed, revision]) is closed
    assert policy_for(date(2026, 1, 1), [closed, revision]) is revision
    with pytest.raises(NoPolicyInForce, match="2026-01-01"):
        policy_for(date(2026, 1, 1), [closed])


def test_it_prefers_the_later_start_when_versions_overlap() -> None:
    later = replace(FEP_HEMGENIX_2024_01, id="later", effective_from=date(2024, 6, 1))
    assert policy_for(date(2024, 5, 31), [later, FEP_HEMGENIX_2024_01]).id == "fep-hemgenix-2024-01"
    assert policy_for(date(2024, 6, 1), [FEP_HEMGENIX_2024_01, later]).id == "later"


def test_it_changes_results_for_a_variant_with_other_thresholds() -> None:
    variant = replace(
        FEP_HEMGENIX_2024_01,
        id="other-payer-hemgenix-2024",
        payer="Other payer",
        min_age_years=21,
        fix_max_percent=Decimal("5"),
        inhibitor_bu_cutoff=Decimal("1.0"),
        lifetime_approvals_limit=2,
        required_imaging=("hepatic_ultrasound",),
        specialist_specialties=("hematology", "internal_medicine"),
    )
    request = facts(
        date_of_birth=date(2004, 1, 1),  # 20 on 2024-03-15
        fix_activity_value=Decimal("4"),
        inhibitor_titer_bu=Decimal("0.8"),
        active_approvals_on_file=1,
        imaging=(),
        prescriber_specialty="internal_medicine",
    )
    fep, other = evaluate(request, FEP_HEMGENIX_2024_01), evaluate(request, variant)
    status = {line.id: (line.status, other.line(line.id).status) for line in fep.lines}
    assert status["age"] == ("met", "not_met")
    assert status["fix_activity"] == ("not_met", "met")
    assert status["excl_inhibitor_titer"] == ("not_met", "met")
    assert status["lifetime_limit"] == ("not_met", "met")
    assert status["liver_assessment"] == ("unknown", "unknown")  # still no ultrasound
    assert status["prescriber"] == ("unknown", "met")
    assert other.policy_id == "other-payer-hemgenix-2024"
    assert "policy requires ≤ 5%" in other.line("fix_activity").reason
    assert "below 1.0 BU" in other.line("excl_inhibitor_titer").reason


def test_it_can_drop_a_criterion_in_a_variant() -> None:
    no_limit = replace(
        FEP_HEMGENIX_2024_01,
        id="no-limit",
        criteria=tuple(c for c in FEP_HEMGENIX_2024_01.criteria if c.id != "lifetime_limit"),
    )
    evaluation = evaluate(facts(active_approvals_on_file=1), no_limit)
    assert evaluation.recommendation == "approve"
    assert "lifetime_limit" not in [line.id for line in evaluation.lines]


def test_it_keeps_criterion_ids_unique_and_versions_apart() -> None:
    for policy in POLICIES.values():
        ids = [c.id for c in policy.criteria]
        assert len(ids) == len(set(ids)), policy.id
    versions = sorted(POLICIES.values(), key=lambda p: p.effective_from)
    for earlier, later in itertools.pairwise(versions):
        assert earlier.effective_to is not None and earlier.effective_to < later.effective_from
