"""Human labels for the codes the facts and the engine use: specialties, assays, HIV statuses,
lab codes, imaging kinds, the facts' own names and each criterion's short name.

Pure Python (no Django) so the engine's reasons can use them too; the portal reads them through
reviews/labels.py, the one place its pages and messages take a label from.
"""

from __future__ import annotations

SPECIALTY_LABELS: dict[str, str] = {
    "hematology": "Hematology",
    "hematology_oncology": "Hematology/oncology",
    "pediatric_hematology": "Pediatric hematology",
    "pediatric_hematology_oncology": "Pediatric hematology/oncology",
    "hemophilia_treatment_center": "Hemophilia treatment center",
    "hemophilia_specialist": "Hemophilia B specialist",
    "internal_medicine": "Internal medicine",
    "family_medicine": "Family medicine",
    "pediatrics": "Pediatrics",
    "oncology": "Oncology (not hematology)",
    "other": "Other specialty",
    "none": "No hematologist or hemophilia specialist recommended it",
}

ASSAY_LABELS: dict[str, str] = {
    "nijmegen-bethesda": "Nijmegen-Bethesda",
    "bethesda": "Bethesda",
    "other": "Other",
}

HIV_LABELS: dict[str, str] = {
    "negative": "Negative",
    "positive_controlled": "Positive, controlled with antiviral therapy",
    "positive_uncontrolled": "Positive, not controlled",
}

SEX_LABELS: dict[str, str] = {
    "male": "Male",
    "female": "Female",
    "intersex": "Intersex",
    "unknown": "Unknown",
}

LAB_LABELS: dict[str, str] = {
    "ALT": "ALT",
    "AST": "AST",
    "ALP": "ALP",
    "TBILI": "Total bilirubin",
}

IMAGING_LABELS: dict[str, str] = {
    "hepatic_ultrasound": "Hepatic ultrasound",
    "elastography": "Elastography",
}

# Each criterion's short name, for lists (documents' "supports", a denial's cited lines).
CRITERION_LABELS: dict[str, str] = {
    "age": "Age",
    "sex": "Sex assigned at birth",
    "diagnosis": "Diagnosis (hemophilia B)",
    "fix_activity": "Factor IX activity",
    "prophylaxis": "Factor IX prophylaxis",
    "bleeding_history": "Bleeding history",
    "liver_assessment": "Liver health assessment",
    "prescriber": "Prescriber specialty",
    "excl_inhibitor_history": "Inhibitor history",
    "excl_inhibitor_titer": "Inhibitor screen (Bethesda titer)",
    "excl_hiv": "HIV status",
    "excl_hepatitis": "Hepatitis B/C",
    "excl_gene_therapy": "Gene therapy",
    "lifetime_limit": "Lifetime limit",
}

# Every name in the facts document (criteria/facts.py), and the evidence-only names.
FACT_LABELS: dict[str, str] = {
    "evaluation_date": "Evaluation date",
    "date_of_birth": "Date of birth",
    "sex_assigned_at_birth": "Sex assigned at birth",
    "diagnosis_code": "Diagnosis code (ICD-10-CM)",
    "fix_activity": "Factor IX activity",
    "fix_activity_value": "Factor IX activity",
    "fix_activity_unit": "Factor IX activity unit",
    "fix_activity_date": "Factor IX activity test date",
    "on_fix_prophylaxis": "On factor IX prophylaxis",
    "prophylaxis_product": "Prophylaxis product",
    "life_threatening_hemorrhage": "Life-threatening hemorrhage",
    "repeated_serious_spontaneous_bleeding": "Repeated, serious spontaneous bleeding",
    "labs": "Liver labs",
    "imaging": "Liver imaging",
    "prescriber_specialty": "Prescriber specialty",
    "recommending_specialist_specialty": "Recommending specialist",
    "fix_inhibitor_history": "History of factor IX inhibitors",
    "inhibitor_titer_bu": "Inhibitor screen (BU)",
    "inhibitor_assay": "Inhibitor assay",
    "inhibitor_test_date": "Inhibitor screen date",
    "hiv_status": "HIV status",
    "hepatitis_b_active": "Active hepatitis B",
    "hepatitis_c_active": "Active hepatitis C",
    "prior_hemophilia_b_gene_therapy": "Prior hemophilia B gene therapy",
    "other_gene_therapy_under_consideration": "Other hemophilia B gene therapy under consideration",
    "active_approvals_on_file": "Hemgenix approvals already on file",
}


def specialty_label(code: str | None) -> str:
    if code is None:
        return "not given"
    return SPECIALTY_LABELS.get(code, code.replace("_", " ").capitalize())


def assay_label(code: str | None) -> str:
    if code is None:
        return "assay not stated"
    return ASSAY_LABELS.get(code, code.replace("-", " ").replace("_", " ").title())
