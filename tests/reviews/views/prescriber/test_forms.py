from datetime import date
from typing import Any

from django.forms import ChoiceField

from accounts.models import User
from criteria.registry import POLICIES
from reviews.forms_prescriber import (
    AnswerForm,
    FactsForm,
    RequestForm,
    facts_from_cleaned,
    initial_from_facts,
)
from tests.factories import approvable_facts, days_ago, make_case, make_patient

from .conftest import blank, request_post


def as_post(initial: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in initial.items()}


def test_it_maps_form_fields_to_the_engines_facts_format(riverside: User) -> None:
    patient = make_patient(riverside)
    form = RequestForm(request_post(patient.pk), user=riverside)
    assert form.is_valid(), form.errors
    assert form.facts() == approvable_facts()


def test_it_maps_stored_facts_back_to_the_form_and_again_unchanged() -> None:
    facts = approvable_facts()
    facts["labs"][0]["source"] = "Quest report 2291"
    facts["imaging"][1]["source"] = "City Imaging"
    facts["recommending_specialist_specialty"] = "none"
    form = FactsForm(as_post(initial_from_facts(facts)))
    assert form.is_valid(), form.errors
    assert form.facts() == facts


def test_it_leaves_empty_fields_out_of_the_facts_never_false() -> None:
    assert facts_from_cleaned({}) == {}
    form = FactsForm({"hiv_status": "", "hepatitis_b_active": "", "hepatitis_c_active": "no"})
    assert form.is_valid(), form.errors
    assert form.facts() == {"hepatitis_c_active": False}


def test_it_reopens_the_latest_of_several_results_for_one_lab() -> None:
    facts = {
        "labs": [
            {"code": "ALT", "value": "50", "unit": "U/L", "date": "2024-01-02"},
            {"code": "ALT", "value": "22", "unit": "IU/L", "date": "2024-03-02"},
            {"code": "ALT", "value": "40", "unit": "U/L", "date": "2024-02-02"},
        ]
    }
    initial = initial_from_facts(facts)
    assert (initial["alt_value"], initial["alt_unit"], initial["alt_date"]) == (
        "22",
        "IU/L",
        "2024-03-02",
    )


def test_it_asks_for_the_unit_and_date_of_a_result(riverside: User) -> None:
    patient = make_patient(riverside)
    data = blank(request_post(patient.pk), "alt_unit", "alt_date", "inhibitor_assay")
    form = RequestForm(data, user=riverside)
    assert not form.is_valid()
    assert set(form.errors) == {"alt_unit", "alt_date", "inhibitor_assay"}


def test_it_asks_for_the_result_that_goes_with_a_date(riverside: User) -> None:
    form = FactsForm(blank(request_post(), "fix_activity_value", "fix_activity_unit"))
    assert not form.is_valid()
    assert "fix_activity_value" in form.errors


def test_it_flags_a_test_dated_before_the_patients_birth(riverside: User) -> None:
    patient = make_patient(riverside, date_of_birth=date(2000, 5, 1))
    form = RequestForm(request_post(patient.pk, ast_date="1999-01-01"), user=riverside)
    assert not form.is_valid()
    assert form.errors["ast_date"] == ["1999-01-01 is before the date of birth 2000-05-01"]


def test_it_flags_a_test_dated_in_the_future(riverside: User) -> None:
    form = FactsForm(request_post(fix_activity_date=days_ago(-3)))
    assert not form.is_valid()
    assert "is after the evaluation date" in form.errors["fix_activity_date"][0]


def test_it_checks_the_prescriber_npi(riverside: User) -> None:
    patient = make_patient(riverside)
    form = RequestForm(request_post(patient.pk, prescriber_npi="1234567890"), user=riverside)
    assert not form.is_valid()
    assert "not a valid NPI" in form.errors["prescriber_npi"][0]


def test_it_needs_the_reason_for_an_expedited_request(riverside: User) -> None:
    patient = make_patient(riverside)
    form = RequestForm(request_post(patient.pk, urgency="expedited"), user=riverside)
    assert not form.is_valid()
    assert "expedite_reason" in form.errors


def test_it_offers_every_qualifying_specialty_of_the_policy() -> None:
    field = FactsForm().fields["prescriber_specialty"]
    assert isinstance(field, ChoiceField)
    choices: Any = field.choices
    offered = {value for _, group in choices[1:] for value, _ in group}
    for policy in POLICIES.values():
        assert set(policy.specialist_specialties) <= offered
    assert "internal_medicine" in offered


def test_it_keeps_a_stored_specialty_the_list_lacks(riverside: User) -> None:
    case = make_case(riverside, facts={"prescriber_specialty": "Hematology"}, submit=False)
    form = RequestForm(request_post(prescriber_specialty="Hematology"), user=riverside, case=case)
    assert form.is_valid(), form.errors
    assert form.facts()["prescriber_specialty"] == "Hematology"


def test_it_offers_only_the_clinics_own_patients(riverside: User, lakeside: User) -> None:
    mine = make_patient(riverside)
    theirs = make_patient(lakeside)
    form = RequestForm(request_post(theirs.pk), user=riverside)
    assert not form.is_valid()
    assert "patient" in form.errors
    assert list(form.fields["patient"].queryset) == [mine]  # type: ignore[attr-defined]


def test_it_answers_with_only_what_changed(riverside: User) -> None:
    facts = approvable_facts()
    del facts["hiv_status"]
    case = make_case(riverside, facts=facts)
    data = as_post(initial_from_facts(case.facts))
    data.update(hiv_status="negative", prophylaxis_product="", note="")
    form = AnswerForm(data, case=case)
    assert form.is_valid(), form.errors
    assert form.changed_facts() == {"hiv_status": "negative", "prophylaxis_product": None}
