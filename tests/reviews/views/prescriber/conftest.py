"""POST data for the request form, written out field by field (not through the form's own
mapping) so the tests pin down the mapping rather than repeat it."""

from typing import Any

from tests.factories import approvable_facts, days_ago


def request_post(
    patient_id: int | None = None, action: str = "save", **changes: Any
) -> dict[str, Any]:
    """A filled-in request form whose facts equal tests.factories.approvable_facts()."""
    data: dict[str, Any] = {
        "action": action,
        "urgency": "standard",
        "expedite_reason": "",
        "planned_infusion_date": days_ago(-30),
        "body_weight_kg": "78.5",
        "prescriber_name": "Dr. Hema Tologist",
        "prescriber_npi": "1234567893",
        "prescriber_specialty": "hematology",
        "recommending_specialist_specialty": "",
        "diagnosis_code": "d67",
        "fix_activity_value": "1.0",
        "fix_activity_unit": "%",
        "fix_activity_date": days_ago(30),
        "on_fix_prophylaxis": "yes",
        "prophylaxis_product": "Alprolix (eftrenonacog alfa)",
        "life_threatening_hemorrhage": "yes",
        "repeated_serious_spontaneous_bleeding": "no",
        "fix_inhibitor_history": "no",
        "inhibitor_titer_bu": "0.2",
        "inhibitor_assay": "nijmegen-bethesda",
        "inhibitor_test_date": days_ago(20),
        "hiv_status": "negative",
        "hepatitis_b_active": "no",
        "hepatitis_c_active": "no",
        "prior_hemophilia_b_gene_therapy": "no",
        "other_gene_therapy_under_consideration": "no",
        "ultrasound_date": days_ago(15),
        "ultrasound_findings": "Normal liver",
        "ultrasound_source": "",
        "elastography_date": days_ago(15),
        "elastography_findings": "5.1 kPa, F0-F1",
        "elastography_source": "",
    }
    for prefix, value, unit in (
        ("alt", "22", "U/L"),
        ("ast", "25", "U/L"),
        ("alp", "80", "U/L"),
        ("tbili", "0.6", "mg/dL"),
    ):
        data.update(
            {
                f"{prefix}_value": value,
                f"{prefix}_unit": unit,
                f"{prefix}_date": days_ago(20),
                f"{prefix}_source": "",
            }
        )
    if patient_id is not None:
        data["patient"] = str(patient_id)
    data.update(changes)
    return data


def blank(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """The same form with the named fields left empty."""
    return {**data, **dict.fromkeys(names, "")}


__all__ = ["approvable_facts", "blank", "request_post"]
