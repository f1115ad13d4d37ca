from decimal import Decimal

import pytest

from pas.collect import Collected
from pas.outcomes import FhirError


def test_it_counts_one_number_written_two_ways_as_one_value() -> None:
    collected = Collected()
    collected.put("body_weight_kg", Decimal("80.0"), "Bundle.entry[12].resource")
    collected.put("body_weight_kg", "80", "Bundle.entry[26].resource.item[0]")
    assert collected.details["body_weight_kg"] == Decimal("80.0")


def test_it_reports_two_sources_that_disagree_with_both_places() -> None:
    collected = Collected()
    collected.put("hiv_status", "negative", "Bundle.entry[21].resource")
    with pytest.raises(FhirError) as refused:
        collected.put("hiv_status", "positive_controlled", "Bundle.entry[26].resource.item[0]")
    assert refused.value.status_code == 422
    assert [i.expression for i in refused.value.issues] == [
        "Bundle.entry[21].resource",
        "Bundle.entry[26].resource.item[0]",
    ]


def test_it_never_takes_true_for_one() -> None:
    collected = Collected()
    collected.put("on_fix_prophylaxis", True, "a")
    with pytest.raises(FhirError):
        collected.put("on_fix_prophylaxis", "1", "b")


def test_it_records_nothing_for_a_value_not_given() -> None:
    collected = Collected()
    collected.put("inhibitor_assay", None, "a")
    collected.put("inhibitor_assay", "bethesda", "b")
    assert (collected.facts, collected.sources) == (
        {"inhibitor_assay": "bethesda"},
        {"inhibitor_assay": "b"},
    )


def test_it_points_an_engine_error_path_at_its_source() -> None:
    collected = Collected()
    collected.append("labs", {"code": "ALT"}, "Bundle.entry[8].resource")
    collected.put("hiv_status", "negative", "Bundle.entry[21].resource")
    assert collected.source_of("labs[0].unit") == "Bundle.entry[8].resource"
    assert collected.source_of("hiv_status") == "Bundle.entry[21].resource"
    assert collected.source_of("labs[1].unit") is None
