"""Reading facts from JSON: every error is caught, collected, and names its field."""

import copy
import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from criteria import Facts, FactsValidationError, facts_from_dict, facts_from_json, facts_to_dict
from criteria.facts import FLAG_FIELDS
from tests.criteria.factories import COMPLETE

EXAMPLES = Path(__file__).resolve().parents[2] / "criteria" / "schema" / "examples"


def example(name: str = "approve") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def errors_for(document: Any) -> dict[str, str]:
    with pytest.raises(FactsValidationError) as raised:
        facts_from_dict(document)
    return dict(raised.value.errors)


def with_(changes: dict[str, Any], base: str = "approve") -> dict[str, Any]:
    """The example document with top-level ``changes``; a value of ... removes the key."""
    document = example(base)
    for key, value in changes.items():
        if value is ...:
            document.pop(key)
        else:
            document[key] = value
    return document


def with_lab(index: int, **changes: Any) -> dict[str, Any]:
    document = example()
    document["labs"][index].update(changes)
    return document


def test_it_reads_the_example_documents() -> None:
    approve = facts_from_dict(example("approve"))
    assert approve.evaluation_date == date(2024, 3, 15)
    assert approve.fix_activity_value == Decimal("1.2")
    assert approve.inhibitor_titer_bu == Decimal("0.2")  # numeric string, exact
    assert approve.labs[3].value == Decimal("0.7")
    assert approve.imaging[1].findings == "Liver stiffness 5.1 kPa (F0-F1)"
    pend = facts_from_dict(example("pend"))
    assert pend.recommending_specialist_specialty is None
    assert pend.fix_activity_unit == "IU/mL"
    assert facts_from_dict(example("deny")).labs == ()


def test_it_reads_only_the_evaluation_date_as_required() -> None:
    assert facts_from_dict({"evaluation_date": "2024-01-01"}) == Facts(date(2024, 1, 1))


def test_it_treats_null_as_not_supplied() -> None:
    document: dict[str, Any] = {name: None for name in facts_to_dict(COMPLETE)}
    document["evaluation_date"] = "2024-01-01"
    assert facts_from_dict(document) == Facts(date(2024, 1, 1))


def test_it_accepts_numbers_as_numeric_strings() -> None:
    facts = facts_from_dict(
        with_({"fix_activity_value": " 1.50 ", "active_approvals_on_file": "0"})
    )
    assert (facts.fix_activity_value, facts.active_approvals_on_file) == (Decimal("1.50"), 0)


def test_it_keeps_float_values_as_written() -> None:
    facts = facts_from_dict(with_({"fix_activity_value": 0.1, "fix_activity_unit": "IU/dL"}))
    assert facts.fix_activity_value == Decimal("0.1")


def test_it_normalizes_the_diagnosis_code() -> None:
    assert facts_from_dict(with_({"diagnosis_code": "d68.311"})).diagnosis_code == "D68.311"


def test_it_round_trips_a_complete_request() -> None:
    assert facts_from_dict(json.loads(json.dumps(facts_to_dict(COMPLETE)))) == COMPLETE


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, document, field path, text in the message)
    ("missing evaluation date", with_({"evaluation_date": ...}), "evaluation_date", "is required"),
    ("null evaluation date", with_({"evaluation_date": None}), "evaluation_date", "is required"),
    ("impossible date", with_({"evaluation_date": "2023-02-30"}), "evaluation_date", "not a real calendar date"),
    ("impossible birthday", with_({"date_of_birth": "1990-13-01"}), "date_of_birth", "not a real calendar date"),
    ("non-ISO date", with_({"date_of_birth": "07/02/1986"}), "date_of_birth", "YYYY-MM-DD"),
    ("compact ISO date", with_({"date_of_birth": "19860702"}), "date_of_birth", "YYYY-MM-DD"),
    ("date as number", with_({"fix_activity_date": 20231120}), "fix_activity_date", "date string"),
    ("unknown key", with_({"favourite_color": "blue"}), "favourite_color", "unknown field"),
    ("misspelled key", with_({"hiv": "negative"}), "hiv", "unknown field"),
    ("bool as text", with_({"on_fix_prophylaxis": "yes"}), "on_fix_prophylaxis", "true or false"),
    ("bool as number", with_({"hepatitis_b_active": 0}), "hepatitis_b_active", "true or false"),
    ("number as bool", with_({"fix_activity_value": True}), "fix_activity_value", "number"),
    ("number as text", with_({"inhibitor_titer_bu": "low"}), "inhibitor_titer_bu", "must be a number"),
    ("number as list", with_({"inhibitor_titer_bu": [1]}), "inhibitor_titer_bu", "number"),
    ("NaN", with_({"inhibitor_titer_bu": float("nan")}), "inhibitor_titer_bu", "finite"),
    ("negative FIX", with_({"fix_activity_value": -0.5}), "fix_activity_value", "must not be negative"),
    ("FIX over 300%", with_({"fix_activity_value": 301}), "fix_activity_value", "not believable"),
    ("FIX over 300% in IU/mL", with_({"fix_activity_value": 3.5, "fix_activity_unit": "IU/mL"}), "fix_activity_value", "over 300%"),
    ("FIX over 300% without unit", with_({"fix_activity_value": 500, "fix_activity_unit": None}), "fix_activity_value", "not believable"),
    ("unknown FIX unit", with_({"fix_activity_unit": "ng/mL"}), "fix_activity_unit", "must be one of %, IU/dL, IU/mL"),
    ("titer over 10000", with_({"inhibitor_titer_bu": 10001}), "inhibitor_titer_bu", "not believable"),
    ("negative titer", with_({"inhibitor_titer_bu": "-0.1"}), "inhibitor_titer_bu", "must not be negative"),
    ("unknown assay", with_({"inhibitor_assay": "elisa"}), "inhibitor_assay", "nijmegen-bethesda"),
    ("unknown sex", with_({"sex_assigned_at_birth": "M"}), "sex_assigned_at_birth", "must be one of male"),
    ("unknown HIV status", with_({"hiv_status": "positive"}), "hiv_status", "positive_uncontrolled"),
    ("bad ICD-10 code", with_({"diagnosis_code": "hemophilia B"}), "diagnosis_code", "ICD-10-CM"),
    ("blank text", with_({"prescriber_specialty": "  "}), "prescriber_specialty", "must not be blank"),
    ("text too long", with_({"prophylaxis_product": "x" * 201}), "prophylaxis_product", "at most 200"),
    ("approvals fraction", with_({"active_approvals_on_file": 1.5}), "active_approvals_on_file", "whole number"),
    ("approvals negative", with_({"active_approvals_on_file": -1}), "active_approvals_on_file", "whole number"),
    ("approvals as bool", with_({"active_approvals_on_file": False}), "active_approvals_on_file", "number"),
    ("labs not a list", with_({"labs": {"code": "ALT"}}), "labs", "array of objects"),
    ("lab not an object", with_({"labs": ["ALT 28"]}), "labs[0]", "must be an object"),
    ("lab without value", with_lab(0, value=None), "labs[0].value", "is required"),
    ("lab unknown code", with_lab(1, code="GGT"), "labs[1].code", "must be one of ALT"),
    ("lab unknown key", with_lab(2, flag="H"), "labs[2].flag", "unknown field"),
    ("negative lab", with_lab(0, value=-3), "labs[0].value", "must not be negative"),
    ("ALT over 10000", with_lab(0, value=10001), "labs[0].value", "not believable"),
    ("bilirubin over 100 mg/dL", with_lab(3, value=101), "labs[3].value", "not believable"),
    ("enzyme in mg/dL", with_lab(0, unit="mg/dL"), "labs[0].unit", "U/L, IU/L for ALT"),
    ("lab date impossible", with_lab(1, date="2024-02-31"), "labs[1].date", "not a real calendar date"),
    ("lab in the future", with_lab(2, date="2024-03-16"), "labs[2].date", "after the evaluation date 2024-03-15"),
    ("imaging unknown kind", with_({"imaging": [{"kind": "mri"}]}), "imaging[0].kind", "hepatic_ultrasound"),
    ("imaging without kind", with_({"imaging": [{"date": "2024-01-01"}]}), "imaging[0].kind", "is required"),
    ("imaging in the future", with_({"imaging": [{"kind": "elastography", "date": "2025-01-01"}]}), "imaging[0].date", "after the evaluation date"),
    ("FIX test in the future", with_({"fix_activity_date": "2024-03-16"}), "fix_activity_date", "after the evaluation date"),
    ("inhibitor test in the future", with_({"inhibitor_test_date": "2024-04-01"}), "inhibitor_test_date", "after the evaluation date"),
    ("born after evaluation", with_({"date_of_birth": "2024-03-16"}), "date_of_birth", "after the evaluation date"),
    ("born over 130 years ago", with_({"date_of_birth": "1894-03-14"}), "date_of_birth", "more than 130 years"),
    ("test before birth", with_({"fix_activity_date": "1980-01-01"}), "fix_activity_date", "before the date of birth"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "path", "text"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_it_rejects_bad_input_naming_the_field(
    document: dict[str, Any], path: str, text: str
) -> None:
    errors = errors_for(document)
    assert path in errors, errors
    assert text in errors[path]
    assert errors[path].startswith(f"{path}: ")


def test_it_accepts_a_birthday_exactly_130_years_back() -> None:
    facts = facts_from_dict(with_({"date_of_birth": "1894-03-15"}))
    assert facts.date_of_birth == date(1894, 3, 15)


def test_it_collects_every_error_at_once() -> None:
    document = with_({"evaluation_date": "2024-02-30", "hiv_status": "?", "colour": 1})
    document["labs"][0]["value"] = "n/a"
    errors = errors_for(document)
    assert set(errors) == {"evaluation_date", "hiv_status", "colour", "labs[0].value"}


def test_it_rejects_a_document_that_is_not_an_object() -> None:
    assert errors_for([1, 2]) == {"$": "$: the facts must be a JSON object"}


def test_it_reports_malformed_json_text() -> None:
    with pytest.raises(FactsValidationError, match=r"\$: not valid JSON"):
        facts_from_json('{"evaluation_date": ')


def test_it_reads_json_text() -> None:
    assert facts_from_json(json.dumps(example())) == facts_from_dict(example())


def test_it_joins_the_messages_in_the_exception_text() -> None:
    with pytest.raises(FactsValidationError) as raised:
        facts_from_dict({"evaluation_date": "x", "sex_assigned_at_birth": 1})
    assert str(raised.value) == (
        "evaluation_date: must be a date as YYYY-MM-DD; got 'x'; "
        "sex_assigned_at_birth: must be a string or null; got 1"
    )


def test_it_does_not_change_the_document_it_reads() -> None:
    document = example()
    before = copy.deepcopy(document)
    facts_from_dict(document)
    assert document == before


def test_its_yes_no_facts_are_exactly_the_facts_typed_bool() -> None:
    typed_bool = {f.name for f in dataclasses.fields(Facts) if f.type == "bool | None"}
    assert set(FLAG_FIELDS) == typed_bool
