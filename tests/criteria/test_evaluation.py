"""The recommendation, the result types, and their JSON round trip."""

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest

from criteria import CriterionResult, Evaluation, Evidence, Facts, Kind, Status, evaluate
from criteria.results import new_evidence, new_result
from tests.criteria.factories import COMPLETE, CRITERION_IDS, facts


def test_it_approves_a_complete_qualifying_request() -> None:
    evaluation = evaluate(COMPLETE)
    assert evaluation.recommendation == "approve"
    assert all(line.status == "met" for line in evaluation.lines)
    assert (evaluation.failing, evaluation.missing, evaluation.requests_for_information) == (
        (),
        (),
        (),
    )


def test_it_denies_on_an_exclusion_even_when_information_is_missing() -> None:
    evaluation = evaluate(facts(hiv_status="positive_uncontrolled", date_of_birth=None, labs=()))
    assert evaluation.recommendation == "deny"
    assert evaluation.failing == ("excl_hiv",)
    assert evaluation.missing == ("age", "liver_assessment")
    assert len(evaluation.requests_for_information) == 2


def test_it_lists_every_failing_line_when_many_fail() -> None:
    evaluation = evaluate(
        facts(
            date_of_birth=date(2010, 1, 1),
            sex_assigned_at_birth="female",
            diagnosis_code="D66",
            fix_activity_value=Decimal("30"),
            on_fix_prophylaxis=False,
            life_threatening_hemorrhage=False,
            repeated_serious_spontaneous_bleeding=False,
            prescriber_specialty="dermatology",
            recommending_specialist_specialty="none",
            fix_inhibitor_history=True,
            inhibitor_titer_bu=Decimal("3"),
            hiv_status="positive_uncontrolled",
            hepatitis_b_active=True,
            prior_hemophilia_b_gene_therapy=True,
            active_approvals_on_file=1,
        )
    )
    assert evaluation.recommendation == "deny"
    assert evaluation.failing == tuple(i for i in CRITERION_IDS if i != "liver_assessment")
    assert evaluation.missing == ()


def test_it_pends_when_nothing_fails_but_something_is_unknown() -> None:
    evaluation = evaluate(facts(hepatitis_c_active=None, inhibitor_assay="bethesda"))
    assert evaluation.recommendation == "pend"
    assert evaluation.failing == ()
    assert evaluation.missing == ("excl_inhibitor_titer", "excl_hepatitis")
    assert evaluation.requests_for_information == (
        "Provide a factor IX inhibitor screen result by the Nijmegen-Bethesda assay, "
        "in Bethesda Units, with test date",
        "State whether the member has active hepatitis C infection",
    )


@pytest.mark.parametrize(
    ("kind", "status", "passed", "label"),
    [
        (Kind.REQUIREMENT, Status.MET, True, "Met"),
        (Kind.REQUIREMENT, Status.NOT_MET, False, "Not met"),
        (Kind.REQUIREMENT, Status.UNKNOWN, None, "Unknown: information missing"),
        (Kind.EXCLUSION, Status.MET, True, "Exclusion absent (criterion met)"),
        (Kind.EXCLUSION, Status.NOT_MET, False, "Exclusion present (criterion not met)"),
        (Kind.EXCLUSION, Status.UNKNOWN, None, "Unknown: exclusion not ruled out"),
        (Kind.LIMIT, Status.MET, True, "Within limit (criterion met)"),
        (Kind.LIMIT, Status.NOT_MET, False, "Limit reached (criterion not met)"),
    ],
)
def test_it_labels_exclusions_without_a_double_negative(
    kind: Kind, status: Status, passed: bool | None, label: str
) -> None:
    line = CriterionResult("x", kind, "s", "w", status, "r")
    assert (line.passed, line.label) == (passed, label)


def test_it_says_an_exclusion_present_is_not_met() -> None:
    line = evaluate(facts(fix_inhibitor_history=True)).line("excl_inhibitor_history")
    assert (line.kind, line.status, line.passed) == ("exclusion", "not_met", False)
    assert line.label == "Exclusion present (criterion not met)"


def test_it_serializes_enums_as_plain_strings() -> None:
    line = evaluate(COMPLETE).lines[0]
    assert json.dumps([line.kind, line.status]) == '["requirement", "met"]'


def test_it_gives_a_json_ready_dict_with_iso_dates() -> None:
    data = evaluate(facts(hepatitis_c_active=None)).to_dict()
    text = json.dumps(data)  # raises if anything is not JSON-ready
    assert data["policy_id"] == "fep-hemgenix-2024-01"
    assert data["evaluated_on"] == "2024-03-15"
    assert data["recommendation"] == "pend"
    assert data["missing"] == ["excl_hepatitis"]
    first = data["lines"][0]
    assert list(first) == [
        "id", "kind", "section", "wording", "status", "passed", "label", "reason",
        "evidence", "request_for_information",
    ]  # fmt: skip
    fix = next(line for line in data["lines"] if line["id"] == "fix_activity")
    assert fix["evidence"] == [
        {"fact": "fix_activity", "value": "1.2 %", "date": "2023-11-20", "source": None}
    ]
    assert "Decimal" not in text


@pytest.mark.parametrize("changes", [{}, {"hepatitis_c_active": None}, {"diagnosis_code": "D66"}])
def test_it_reads_back_what_it_wrote(changes: dict[str, object]) -> None:
    evaluation = evaluate(facts(**changes))
    stored = json.loads(json.dumps(evaluation.to_dict()))
    assert Evaluation.from_dict(stored) == evaluation


def test_it_freezes_facts_and_results() -> None:
    evaluation = evaluate(COMPLETE)
    for obj, name in [(COMPLETE, "date_of_birth"), (evaluation, "recommendation")]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.lines[0].status = Status.NOT_MET  # type: ignore[misc]


def test_it_builds_the_same_objects_on_the_fast_path() -> None:
    fast = new_evidence("f", "v", date(2024, 1, 1), "s")
    assert fast == Evidence("f", "v", date(2024, 1, 1), "s")
    assert hash(fast) == hash(Evidence("f", "v", date(2024, 1, 1), "s"))
    args = ("id", Kind.LIMIT, "sec", "words", Status.UNKNOWN, "why", (fast,), "ask")
    assert new_result(*args) == CriterionResult(*args)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = "changed"  # type: ignore[misc]


def test_it_needs_only_the_evaluation_date() -> None:
    assert evaluate(Facts(evaluation_date=date(2024, 1, 1))).recommendation == "pend"
