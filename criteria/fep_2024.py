"""FEP Hemgenix policy, approved by the FEP Pharmacy and Medical Policy Committee on
December 8, 2023, effective January 1, 2024. Wording is quoted from the policy text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from criteria import rules
from criteria.policy import CriterionDef, Policy
from criteria.results import Kind


def section(*parts: str) -> str:
    """Where a criterion sits in the policy, joined with a single right-pointing angle quote."""
    return " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} ".join(parts)


REQ = "Prior-Approval Requirements"
ALL = section(REQ, "Diagnosis", "AND ALL of the following")
NONE = section(REQ, "Diagnosis", "AND NONE of the following")

CRITERIA: tuple[CriterionDef, ...] = (
    CriterionDef(
        "age",
        Kind.REQUIREMENT,
        section(REQ, "Age"),
        "18 years of age or older",
        rules.check_age,
        "Provide the member's date of birth",
    ),
    CriterionDef(
        "sex",
        Kind.REQUIREMENT,
        section(REQ, "Gender assigned at birth"),
        "Male",
        rules.check_sex,
        "Provide the member's sex assigned at birth",
    ),
    CriterionDef(
        "diagnosis",
        Kind.REQUIREMENT,
        section(REQ, "Diagnosis"),
        "Patient must have the following: Hemophilia B",
        rules.check_diagnosis,
        "Provide the ICD-10-CM diagnosis code for the member's hemophilia (D67 for hemophilia B)",
    ),
    CriterionDef(
        "fix_activity",
        Kind.REQUIREMENT,
        section(ALL, "1"),
        "Known severe or moderately severe factor IX deficiency "
        "(≤ 2% normal circulating factor IX)",
        rules.check_fix_activity,
        "Provide the most recent factor IX activity level with unit and test date",
    ),
    CriterionDef(
        "prophylaxis",
        Kind.REQUIREMENT,
        section(ALL, "2"),
        "Patient is currently receiving factor IX prophylaxis",
        rules.check_prophylaxis,
        "State whether the member is currently receiving factor IX prophylaxis, and the product",
    ),
    CriterionDef(
        "bleeding_history",
        Kind.REQUIREMENT,
        section(ALL, "3"),
        "Patient has ONE of the following: a. Current or historical life-threatening "
        "hemorrhage b. Repeated, serious spontaneous bleeding episodes",
        rules.check_bleeding_history,
        "State whether the member has had a current or historical life-threatening "
        "hemorrhage, and whether the member has repeated, serious spontaneous bleeding episodes",
    ),
    CriterionDef(
        "liver_assessment",
        Kind.REQUIREMENT,
        section(ALL, "4"),
        "Patient has received a liver health assessment including enzyme testing "
        "(ALT, AST, ALP, and total bilirubin) AND a hepatic ultrasound and elastography",
        rules.check_liver_assessment,
        "Provide ALT, AST, ALP and total bilirubin results and hepatic ultrasound and "
        "elastography reports, with dates",
    ),
    CriterionDef(
        "prescriber",
        Kind.REQUIREMENT,
        section(ALL, "5"),
        "Prescribed by or recommended by a hematologist or a prescriber who specializes "
        "in hemophilia B",
        rules.check_prescriber,
        "Provide the prescriber's specialty, or that of the hematologist or hemophilia B "
        "specialist who recommended Hemgenix",
    ),
    CriterionDef(
        "excl_inhibitor_history",
        Kind.EXCLUSION,
        section(NONE, "1"),
        "History of factor IX inhibitors",
        rules.check_inhibitor_history,
        "State whether the member has any history of factor IX inhibitors",
    ),
    CriterionDef(
        "excl_inhibitor_titer",
        Kind.EXCLUSION,
        section(NONE, "2"),
        "Positive factor IX inhibitor screen results of ≥ 0.6 Bethesda Units (BU) using "
        "the Nijmegen-Bethesda assay",
        rules.check_inhibitor_titer,
        "Provide the most recent factor IX inhibitor screen result in Bethesda Units by the "
        "Nijmegen-Bethesda assay, with test date",
    ),
    CriterionDef(
        "excl_hiv",
        Kind.EXCLUSION,
        section(NONE, "3"),
        "Positive HIV serological test not controlled with anti-viral therapy",
        rules.check_hiv,
        "Provide the member's HIV serology result and, if positive, whether it is controlled "
        "with antiviral therapy",
    ),
    CriterionDef(
        "excl_hepatitis",
        Kind.EXCLUSION,
        section(NONE, "4"),
        "Active hepatitis B and/or hepatitis C infection",
        rules.check_hepatitis,
        "State whether the member has active hepatitis B infection and whether the member "
        "has active hepatitis C infection",
    ),
    CriterionDef(
        "excl_gene_therapy",
        Kind.EXCLUSION,
        section(NONE, "5"),
        "Prior gene therapy for hemophilia B or under consideration for treatment with "
        "another gene therapy for hemophilia B",
        rules.check_gene_therapy,
        "State whether the member has had prior gene therapy for hemophilia B and whether "
        "another hemophilia B gene therapy is under consideration",
    ),
    CriterionDef(
        "lifetime_limit",
        Kind.LIMIT,
        section("Prior - Approval Limits", "Quantity"),
        "One infusion (only one PA approval for one infusion per lifetime)",
        rules.check_lifetime_limit,
        "Confirm whether a Hemgenix approval is already on file for this member, from any clinic",
    ),
)

FEP_HEMGENIX_2024_01 = Policy(
    id="fep-hemgenix-2024-01",
    title="Hemgenix (etranacogene dezaparvovec-drlb)",
    payer="FEP (Federal Employee Program)",
    effective_from=date(2024, 1, 1),
    effective_to=None,
    min_age_years=18,
    sex_assigned_at_birth=("male",),
    diagnosis_codes=("D67",),
    fix_max_percent=Decimal("2.0"),
    inhibitor_bu_cutoff=Decimal("0.6"),
    inhibitor_assays=("nijmegen-bethesda",),
    required_liver_labs=("ALT", "AST", "ALP", "TBILI"),
    required_imaging=("hepatic_ultrasound", "elastography"),
    specialist_specialties=(
        "hematology",
        "hematology_oncology",
        "pediatric_hematology",
        "pediatric_hematology_oncology",
        "hemophilia_treatment_center",
        "hemophilia_specialist",
    ),
    lifetime_approvals_limit=1,
    criteria=CRITERIA,
    source="FEP Pharmacy and Medical Policy Committee, approved 2023-12-08, effective 2024-01-01",
)
