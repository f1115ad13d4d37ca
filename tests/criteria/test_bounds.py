"""Numbers and dates are bounded before any arithmetic: 1e999999999 is a valid Decimal, but
converting its unit overflows; 0001-01-01 is a valid date, but "130 years before" it is not."""

from decimal import Decimal
from typing import Any

import pytest

from criteria import FactsValidationError, facts_from_dict
from criteria.io import MAX_DIGITS
from tests.criteria.test_io import example, with_


def errors_for(document: Any) -> dict[str, str]:
    with pytest.raises(FactsValidationError) as raised:
        facts_from_dict(document)
    return dict(raised.value.errors)


@pytest.mark.parametrize(
    "value",
    [
        "1e999999999",
        "-1e999999999",
        "1E+400",
        str(10**400),
        10**400,
        pytest.param(10**5000, id="10**5000"),
        1e308,
        "1e10",
    ],
)
@pytest.mark.parametrize("field", ["fix_activity_value", "inhibitor_titer_bu"])
def test_it_refuses_a_number_out_of_range_by_name(field: str, value: Any) -> None:
    errors = errors_for(with_({field: value, "fix_activity_unit": "IU/mL"}))
    assert "out of range" in errors[field]


@pytest.mark.parametrize(
    "value", ["1e-999999999", "0e-999999999", "0." + "0" * 30 + "1", "1." + "1" * 25]
)
def test_it_refuses_a_number_with_too_many_digits(value: str) -> None:
    errors = errors_for(with_({"fix_activity_value": value}))
    assert "too many digits" in errors["fix_activity_value"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_it_refuses_a_non_finite_number(value: float) -> None:
    assert "finite" in errors_for(with_({"fix_activity_value": value}))["fix_activity_value"]


@pytest.mark.parametrize("value", ["\u0663", "\uff11", "\u00b2", "1\u0660"])
def test_it_reads_only_ascii_digits(value: str) -> None:
    assert (
        "must be a number" in errors_for(with_({"fix_activity_value": value}))["fix_activity_value"]
    )


def test_it_refuses_an_absurd_number_in_a_lab_and_a_count() -> None:
    document = example()
    document["labs"][0]["value"] = "1e999999999"
    document["active_approvals_on_file"] = "1e999999999"
    errors = errors_for(document)
    assert "out of range" in errors["labs[0].value"]
    assert (
        "whole number" in errors["active_approvals_on_file"]
        or "out of range" in errors["active_approvals_on_file"]
    )


def test_it_still_reads_the_largest_and_most_precise_numbers_it_allows() -> None:
    digits = "0." + "1" * MAX_DIGITS
    facts = facts_from_dict(with_({"fix_activity_value": digits, "fix_activity_unit": "%"}))
    assert facts.fix_activity_value == Decimal(digits)
    facts = facts_from_dict(with_({"inhibitor_titer_bu": "0.2"}))
    assert facts.inhibitor_titer_bu == Decimal("0.2")


@pytest.mark.parametrize(
    "day", ["0001-01-01", "9999-12-31", "0050-06-01", "0999-12-31", "9001-01-01"]
)
@pytest.mark.parametrize("field", ["evaluation_date", "date_of_birth", "fix_activity_date"])
def test_it_refuses_a_date_outside_the_supported_years(field: str, day: str) -> None:
    errors = errors_for(with_({field: day}))
    assert "outside the years 1000 to 9000" in errors[field]
