"""Each checklist line at its boundaries, from a complete request varied one way at a time."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from criteria import FEP_HEMGENIX_2024_01, Evaluation, ImagingResult, LabResult, evaluate
from criteria.rules import age_on, anniversary
from tests.criteria.factories import COMPLETE, IMAGING, LABS, facts

D = Decimal
MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"

# (line id, changes to the complete request, expected status, text the reason must contain)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # age, evaluated on 2024-03-15
    ("age", {"date_of_birth": date(2006, 3, 16)}, NOT_MET, "Age 17"),  # 17 years 364 days
    ("age", {"date_of_birth": date(2006, 3, 15)}, MET, "Age 18"),  # 18 years 0 days
    ("age", {"date_of_birth": date(1986, 7, 2)}, MET, "born 1986-07-02"),
    ("age", {"date_of_birth": date(2024, 3, 16)}, UNKNOWN, "after the evaluation date"),
    ("age", {"date_of_birth": None}, UNKNOWN, "not supplied"),
    # a Feb 29 birthday turns 18 on Mar 1 in a non-leap year
    (
        "age",
        {"date_of_birth": date(2008, 2, 29), "evaluation_date": date(2026, 2, 28)},
        NOT_MET,
        "turns 18 on 2026-03-01",
    ),
    ("age", {"date_of_birth": date(2008, 2, 29), "evaluation_date": date(2026, 3, 1)}, MET, "Age 18"),
    # sex assigned at birth
    ("sex", {"sex_assigned_at_birth": "male"}, MET, "male"),
    ("sex", {"sex_assigned_at_birth": " Male "}, MET, "male"),
    ("sex", {"sex_assigned_at_birth": "female"}, NOT_MET, "female"),
    ("sex", {"sex_assigned_at_birth": "intersex"}, NOT_MET, "intersex"),
    ("sex", {"sex_assigned_at_birth": "unknown"}, UNKNOWN, "not supplied"),
    ("sex", {"sex_assigned_at_birth": None}, UNKNOWN, "not supplied"),
    ("sex", {"sex_assigned_at_birth": "m?"}, UNKNOWN, "not a recognized value"),
    # diagnosis
    ("diagnosis", {"diagnosis_code": "D67"}, MET, "D67"),
    ("diagnosis", {"diagnosis_code": "d67 "}, MET, "D67"),
    ("diagnosis", {"diagnosis_code": "D66"}, NOT_MET, "hemophilia A"),
    ("diagnosis", {"diagnosis_code": "D68.311"}, NOT_MET, "acquired hemophilia"),
    ("diagnosis", {"diagnosis_code": "Z14.8"}, NOT_MET, "carrier"),
    ("diagnosis", {"diagnosis_code": "Z14.01"}, NOT_MET, "hemophilia A carrier"),
    ("diagnosis", {"diagnosis_code": "D68.2"}, NOT_MET, "not hemophilia B"),
    ("diagnosis", {"diagnosis_code": "C50.911"}, NOT_MET, "C50.911 is not hemophilia B"),
    ("diagnosis", {"diagnosis_code": None}, UNKNOWN, "not supplied"),
    ("diagnosis", {"diagnosis_code": "  "}, UNKNOWN, "not supplied"),
    # factor IX activity: % and IU/dL are equal, IU/mL is x100
    ("fix_activity", {"fix_activity_value": D("2.0"), "fix_activity_unit": "%"}, MET, "2.0 %"),
    ("fix_activity", {"fix_activity_value": D("2.01"), "fix_activity_unit": "%"}, NOT_MET, "2.01"),
    ("fix_activity", {"fix_activity_value": D("2"), "fix_activity_unit": "IU/dL"}, MET, "2 IU/dL"),
    ("fix_activity", {"fix_activity_value": D("2.01"), "fix_activity_unit": "IU/dL"}, NOT_MET, ""),
    ("fix_activity", {"fix_activity_value": D("0.02"), "fix_activity_unit": "IU/mL"}, MET, "= 2"),
    ("fix_activity", {"fix_activity_value": D("0.0201"), "fix_activity_unit": "IU/mL"}, NOT_MET, "2.01"),
    ("fix_activity", {"fix_activity_value": D("0.02"), "fix_activity_unit": "iu/ml"}, MET, ""),
    ("fix_activity", {"fix_activity_value": D("0"), "fix_activity_unit": "%"}, MET, "0 %"),
    ("fix_activity", {"fix_activity_value": D("1"), "fix_activity_unit": None}, UNKNOWN, "without a unit"),
    ("fix_activity", {"fix_activity_value": D("1"), "fix_activity_unit": "ng/mL"}, UNKNOWN, "unrecognized unit"),
    ("fix_activity", {"fix_activity_value": D("-1"), "fix_activity_unit": "%"}, UNKNOWN, "negative"),
    ("fix_activity", {"fix_activity_value": None}, UNKNOWN, "not supplied"),
    ("fix_activity", {"fix_activity_value": None, "fix_activity_unit": None}, UNKNOWN, "not supplied"),
    # prophylaxis
    ("prophylaxis", {"on_fix_prophylaxis": True}, MET, "Alprolix"),
    ("prophylaxis", {"on_fix_prophylaxis": False}, NOT_MET, "Not currently"),
    ("prophylaxis", {"on_fix_prophylaxis": None}, UNKNOWN, "not supplied"),
    # bleeding history: ONE of the two is enough
    *[
        ("bleeding_history", {"life_threatening_hemorrhage": h, "repeated_serious_spontaneous_bleeding": r}, status, text)
        for h, r, status, text in [
            (True, None, MET, "life-threatening hemorrhage"),
            (None, True, MET, "spontaneous bleeding"),
            (True, False, MET, "life-threatening hemorrhage"),
            (False, True, MET, "spontaneous bleeding"),
            (True, True, MET, "reported"),
            (False, False, NOT_MET, "No life-threatening hemorrhage and no repeated"),
            (False, None, UNKNOWN, "repeated serious spontaneous bleeding not supplied"),
            (None, False, UNKNOWN, "life-threatening hemorrhage not supplied"),
            (None, None, UNKNOWN, "not supplied"),
        ]
    ],
    # liver assessment: all four labs and both studies
    ("liver_assessment", {}, MET, "ALT 28 U/L (2024-02-12)"),
    *[
        ("liver_assessment", {"labs": tuple(lab for lab in LABS if lab.code != code)}, UNKNOWN, f"missing: {name}")
        for code, name in [("ALT", "ALT"), ("AST", "AST"), ("ALP", "ALP"), ("TBILI", "total bilirubin")]
    ],
    *[
        ("liver_assessment", {"imaging": tuple(s for s in IMAGING if s.kind != kind)}, UNKNOWN, f"missing: {name}")
        for kind, name in [("hepatic_ultrasound", "hepatic ultrasound"), ("elastography", "elastography")]
    ],
    ("liver_assessment", {"labs": (), "imaging": ()}, UNKNOWN, "ALT, AST, ALP, total bilirubin, hepatic ultrasound, elastography"),
    ("liver_assessment", {"labs": tuple(LabResult(lab.code, lab.value, lab.unit, None) for lab in LABS)}, MET, "ALT 28 U/L (undated)"),
    ("liver_assessment", {"imaging": (ImagingResult("elastography", None), IMAGING[0])}, MET, "elastography (undated)"),
    ("liver_assessment", {"labs": (*LABS[1:], LabResult("alt", D("30"), "U/L", date(2024, 1, 1)))}, MET, "ALT 30 U/L"),
    # prescriber: prescribed OR recommended by a hematologist / hemophilia B specialist
    ("prescriber", {"prescriber_specialty": "hematology"}, MET, "qualifies: Hematology"),
    ("prescriber", {"prescriber_specialty": "Hematology/Oncology"}, MET, "Hematology/oncology"),
    ("prescriber", {"prescriber_specialty": "pediatric_hematology_oncology"}, MET, ""),
    ("prescriber", {"prescriber_specialty": "hemophilia_treatment_center"}, MET, "Hemophilia treatment center"),
    ("prescriber", {"prescriber_specialty": "internal_medicine", "recommending_specialist_specialty": "hematology"}, MET, "Recommended by a qualifying specialist: Hematology (prescriber's specialty: Internal medicine)"),
    ("prescriber", {"prescriber_specialty": None, "recommending_specialist_specialty": "hematology"}, MET, "Recommended"),
    ("prescriber", {"prescriber_specialty": "internal_medicine", "recommending_specialist_specialty": "none"}, NOT_MET, "no specialist recommended it"),
    ("prescriber", {"prescriber_specialty": "internal_medicine", "recommending_specialist_specialty": "cardiology"}, NOT_MET, "(Cardiology)"),
    ("prescriber", {"prescriber_specialty": "astrology", "recommending_specialist_specialty": "none"}, NOT_MET, "(Astrology)"),
    ("prescriber", {"prescriber_specialty": "internal_medicine"}, UNKNOWN, "no recommending specialist supplied"),
    ("prescriber", {"prescriber_specialty": None, "recommending_specialist_specialty": "cardiology"}, UNKNOWN, "Prescriber specialty not supplied"),
    ("prescriber", {"prescriber_specialty": None}, UNKNOWN, "not supplied"),
    # exclusion 1: history of inhibitors
    ("excl_inhibitor_history", {"fix_inhibitor_history": False}, MET, "No history"),
    ("excl_inhibitor_history", {"fix_inhibitor_history": True}, NOT_MET, "History of factor IX inhibitors"),
    ("excl_inhibitor_history", {"fix_inhibitor_history": None}, UNKNOWN, "not supplied"),
    # exclusion 2: inhibitor screen >= 0.6 BU by Nijmegen-Bethesda
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("0.59")}, MET, "0.59 BU"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("0.6")}, NOT_MET, "0.6 BU"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("0.60")}, NOT_MET, "≥ 0.6 BU"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("0")}, MET, "below 0.6 BU"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("12")}, NOT_MET, "12 BU"),
    ("excl_inhibitor_titer", {"inhibitor_assay": "Nijmegen Bethesda"}, MET, "Nijmegen-Bethesda"),
    ("excl_inhibitor_titer", {"inhibitor_assay": "bethesda", "inhibitor_titer_bu": D("0.1")}, UNKNOWN, "Bethesda assay"),
    ("excl_inhibitor_titer", {"inhibitor_assay": "bethesda", "inhibitor_titer_bu": D("5")}, UNKNOWN, "requires the Nijmegen-Bethesda"),
    ("excl_inhibitor_titer", {"inhibitor_assay": "other"}, UNKNOWN, "Other assay"),
    ("excl_inhibitor_titer", {"inhibitor_assay": None}, UNKNOWN, "no assay stated"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": None}, UNKNOWN, "No factor IX inhibitor screen"),
    ("excl_inhibitor_titer", {"inhibitor_titer_bu": D("-1")}, UNKNOWN, "negative"),
    # exclusion 3: HIV not controlled
    ("excl_hiv", {"hiv_status": "negative"}, MET, "HIV negative"),
    ("excl_hiv", {"hiv_status": "positive_controlled"}, MET, "controlled"),
    ("excl_hiv", {"hiv_status": "positive_uncontrolled"}, NOT_MET, "not controlled"),
    ("excl_hiv", {"hiv_status": None}, UNKNOWN, "not supplied"),
    ("excl_hiv", {"hiv_status": "maybe"}, UNKNOWN, "not a recognized value"),
    # exclusions 4 and 5: either fact being true excludes; both must be false to clear
    *[
        ("excl_hepatitis", {"hepatitis_b_active": b, "hepatitis_c_active": c}, status, text)
        for b, c, status, text in [
            (False, False, MET, "No active hepatitis"),
            (True, False, NOT_MET, "active hepatitis B"),
            (False, True, NOT_MET, "active hepatitis C"),
            (True, None, NOT_MET, "active hepatitis B"),
            (None, True, NOT_MET, "active hepatitis C"),
            (True, True, NOT_MET, "active hepatitis B and active hepatitis C"),
            (False, None, UNKNOWN, "Not supplied: active hepatitis C"),
            (None, False, UNKNOWN, "Not supplied: active hepatitis B"),
            (None, None, UNKNOWN, "active hepatitis B and active hepatitis C"),
        ]
    ],
    *[
        ("excl_gene_therapy", {"prior_hemophilia_b_gene_therapy": prior, "other_gene_therapy_under_consideration": other}, status, text)
        for prior, other, status, text in [
            (False, False, MET, "No prior"),
            (True, False, NOT_MET, "prior hemophilia B gene therapy"),
            (False, True, NOT_MET, "under consideration"),
            (True, None, NOT_MET, "prior"),
            (None, True, NOT_MET, "under consideration"),
            (False, None, UNKNOWN, "Not supplied: another"),
            (None, False, UNKNOWN, "Not supplied: prior"),
            (None, None, UNKNOWN, "Not supplied"),
        ]
    ],
    # limit: one approval per lifetime
    ("lifetime_limit", {"active_approvals_on_file": 0}, MET, "0 Hemgenix approval"),
    ("lifetime_limit", {"active_approvals_on_file": 1}, NOT_MET, "1 Hemgenix approval"),
    ("lifetime_limit", {"active_approvals_on_file": 3}, NOT_MET, "allows 1 per lifetime"),
    ("lifetime_limit", {"active_approvals_on_file": None}, UNKNOWN, "not supplied"),
    ("lifetime_limit", {"active_approvals_on_file": -1}, UNKNOWN, "negative"),
]  # fmt: skip


def _case_id(case: tuple[str, dict[str, Any], str, str]) -> str:
    line, changes, status, _ = case
    shown = ",".join(f"{k}={v}" for k, v in changes.items()) or "complete"
    return f"{line}-{status}-{shown}"[:120]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_it_decides_each_line_at_its_boundaries(case: tuple[str, dict[str, Any], str, str]) -> None:
    line_id, changes, status, text = case
    evaluation = evaluate(facts(**changes))
    line = evaluation.line(line_id)
    assert line.status == status, line.reason
    assert text in line.reason
    # The change touches this line only: every other line of the complete request stays met.
    others = [other.id for other in evaluation.lines if other.status != MET and other.id != line_id]
    assert others == []


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_it_asks_for_exactly_the_unknown_lines(case: tuple[str, dict[str, Any], str, str]) -> None:
    line_id, changes, status, _ = case
    evaluation = evaluate(facts(**changes))
    line = evaluation.line(line_id)
    if status == UNKNOWN:
        assert evaluation.recommendation == "pend"
        assert evaluation.missing == (line_id,)
        assert evaluation.requests_for_information == (line.request_for_information,)
        assert (line.request_for_information or "").split()[0] in {"Provide", "State", "Confirm"}
    else:
        assert line.request_for_information is None
        assert evaluation.missing == ()
        assert evaluation.recommendation == ("approve" if status == MET else "deny")


def _unknown_everywhere() -> Evaluation:
    return evaluate(COMPLETE.__class__(evaluation_date=COMPLETE.evaluation_date))


def test_it_reports_every_line_unknown_when_nothing_is_supplied() -> None:
    evaluation = _unknown_everywhere()
    assert [line.status for line in evaluation.lines] == [UNKNOWN] * 14
    assert evaluation.recommendation == "pend"
    assert evaluation.failing == ()
    assert len(evaluation.missing) == 14
    assert len(set(evaluation.requests_for_information)) == 14


@pytest.mark.parametrize(
    ("line_id", "ask"),
    [
        ("age", "Provide the member's date of birth"),
        ("sex", "Provide the member's sex assigned at birth"),
        ("diagnosis", "ICD-10-CM diagnosis code"),
        (
            "fix_activity",
            "Provide the most recent factor IX activity level with unit and test date",
        ),
        ("prophylaxis", "currently receiving factor IX prophylaxis"),
        ("bleeding_history", "life-threatening hemorrhage"),
        ("liver_assessment", "ALT, AST, ALP, total bilirubin, hepatic ultrasound, elastography"),
        ("prescriber", "prescriber's specialty"),
        ("excl_inhibitor_history", "history of factor IX inhibitors"),
        ("excl_inhibitor_titer", "Nijmegen-Bethesda assay, with test date"),
        ("excl_hiv", "HIV"),
        ("excl_hepatitis", "hepatitis B"),
        ("excl_gene_therapy", "prior gene therapy for hemophilia B"),
        ("lifetime_limit", "approval is already on file"),
    ],
)
def test_it_words_each_request_for_information_plainly(line_id: str, ask: str) -> None:
    line = _unknown_everywhere().line(line_id)
    assert ask in (line.request_for_information or "")


def test_it_asks_for_the_unit_when_a_fix_value_has_none() -> None:
    line = evaluate(facts(fix_activity_unit=None)).line("fix_activity")
    assert "unit" in (line.request_for_information or "")


def test_it_asks_for_a_nijmegen_result_when_another_assay_was_used() -> None:
    line = evaluate(facts(inhibitor_assay="bethesda")).line("excl_inhibitor_titer")
    assert "by the Nijmegen-Bethesda assay" in (line.request_for_information or "")


def test_it_asks_only_for_the_missing_half_of_a_pair() -> None:
    evaluation = evaluate(facts(hepatitis_c_active=None, repeated_serious_spontaneous_bleeding=None, life_threatening_hemorrhage=False))  # fmt: skip
    assert evaluation.line("excl_hepatitis").request_for_information == (
        "State whether the member has active hepatitis C infection"
    )
    assert "repeated, serious spontaneous bleeding" in (
        evaluation.line("bleeding_history").request_for_information or ""
    )


def test_it_asks_for_only_the_missing_liver_results() -> None:
    line = evaluate(facts(labs=LABS[:2], imaging=IMAGING[:1])).line("liver_assessment")
    assert line.request_for_information == (
        "Provide the missing liver health assessment results with dates: "
        "ALP, total bilirubin, elastography"
    )


def test_it_uses_the_latest_dated_lab_when_a_code_repeats() -> None:
    older = LabResult("ALT", D("90"), "U/L", date(2023, 1, 1))
    undated = LabResult("ALT", D("70"), "U/L", None)
    line = evaluate(facts(labs=(older, *LABS, undated))).line("liver_assessment")
    alt = [e for e in line.evidence if e.fact == "labs.ALT"]
    assert [(e.value, e.date) for e in alt] == [("28 U/L", date(2024, 2, 12))]


def test_it_names_the_values_used_as_evidence() -> None:
    evaluation = evaluate(COMPLETE)
    evidence = {e.fact: e for line in evaluation.lines for e in line.evidence}
    assert evidence["date_of_birth"].value == "1986-07-02"
    assert evidence["fix_activity"].value == "1.2 %"
    assert evidence["fix_activity"].date == date(2023, 11, 20)
    assert evidence["inhibitor_titer_bu"].value == "0.2 BU (Nijmegen-Bethesda)"
    assert evidence["labs.TBILI"].source == "Quest"
    assert evidence["active_approvals_on_file"].value == "0"


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2004, 2, 29), date(2022, 2, 28), 17),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
        (date(2004, 2, 29), date(2024, 2, 28), 19),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2006, 3, 15), date(2024, 3, 14), 17),
        (date(2006, 3, 15), date(2024, 3, 15), 18),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
    ],
)
def test_it_counts_age_from_the_birthday_with_feb_29_on_mar_1(
    born: date, on: date, age: int
) -> None:
    assert age_on(born, on) == age


def test_it_puts_a_feb_29_anniversary_on_mar_1_only_in_non_leap_years() -> None:
    assert anniversary(date(2004, 2, 29), 18) == date(2022, 3, 1)
    assert anniversary(date(2004, 2, 29), 20) == date(2024, 2, 29)
    assert anniversary(date(2006, 3, 15), 18) == date(2024, 3, 15)


def test_it_lists_the_lines_in_policy_order_with_kinds() -> None:
    evaluation = evaluate(COMPLETE)
    kinds = {line.id: line.kind for line in evaluation.lines}
    assert [line.id for line in evaluation.lines] == [c.id for c in FEP_HEMGENIX_2024_01.criteria]
    assert [k for k in kinds if kinds[k] == "exclusion"] == [
        "excl_inhibitor_history",
        "excl_inhibitor_titer",
        "excl_hiv",
        "excl_hepatitis",
        "excl_gene_therapy",
    ]
    assert kinds["lifetime_limit"] == "limit"
