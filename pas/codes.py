"""Systems, extension URLs and codes used on the FHIR door, each with where it comes from.

Da Vinci PAS (http://hl7.org/fhir/us/davinci-pas, STU 2.x, checked against the IG's FSH source
input/fsh/ClaimResponse.fsh, Bundle.fsh, Claim.fsh and ClaimOperation.fsh in HL7/davinci-pas):
- the review outcome sits on ClaimResponse.item.adjudication (category fixed to
  adjudication#submitted) as extension-reviewAction, whose "code" sub-extension is
  extension-reviewActionCode with a CodeableConcept from X12 code list 306 (HCR01);
- the item's authorization window is extension-itemPreAuthPeriod on ClaimResponse.item;
- $submit takes a PASRequestBundle (a collection whose Claim entry is the request) and returns a
  PASResponseBundle (a collection with one ClaimResponse); $inquire takes a
  PASInquiryRequestBundle and returns a PASInquiryResponseBundle.

X12 306 codes (HCR01 action code): A1 certified in total, A2 certified partial, A3 not certified,
A4 pended, A6 modified, C cancelled, CT contact payer, NA no action required.

Where no LOINC code exists for a fact the policy needs, the Observation carries a code from this
portal's own CodeSystem (HEMGENIX_SYSTEM, served at GET /fhir/CodeSystem/hemgenix-pa); its codes
are the criteria engine's fact names, so the mapping stays one table.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import criteria

# --- this portal's canonical URLs (stable names, not the address the server runs on) ---------
CANONICAL_BASE = "https://hemgenix-pa.example.org/fhir"
HEMGENIX_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/hemgenix-pa"
QUESTIONNAIRE_URL = f"{CANONICAL_BASE}/Questionnaire/hemgenix"
CASE_REFERENCE_SYSTEM = f"{CANONICAL_BASE}/sid/case-reference"
AUTHORIZATION_SYSTEM = f"{CANONICAL_BASE}/sid/authorization-number"
CRITERIA_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/hemgenix-criteria"
RESPONSE_BUNDLE_SYSTEM = f"{CANONICAL_BASE}/sid/response-bundle"
INFORMATION_REQUEST_SYSTEM = f"{CANONICAL_BASE}/sid/information-request"
MEMBER_ID_SYSTEM = f"{CANONICAL_BASE}/sid/member-id"
PAYER_SYSTEM = f"{CANONICAL_BASE}/sid/payer"
PAYER_ID = "hemgenix-pa"
PAYER_NAME = "Health plan (Hemgenix prior authorization)"

# --- Da Vinci PAS ----------------------------------------------------------------------------
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
PAS_CLAIM_RESPONSE_PROFILE = f"{PAS}/profile-claimresponse"
PAS_INQUIRY_RESPONSE_PROFILE = f"{PAS}/profile-claiminquiryresponse"
PAS_RESPONSE_BUNDLE_PROFILE = f"{PAS}/profile-pas-response-bundle"
PAS_INQUIRY_RESPONSE_BUNDLE_PROFILE = f"{PAS}/profile-pas-inquiry-response-bundle"
EXT_REVIEW_ACTION = f"{PAS}/extension-reviewAction"
EXT_REVIEW_ACTION_CODE = f"{PAS}/extension-reviewActionCode"
EXT_ITEM_PREAUTH_PERIOD = f"{PAS}/extension-itemPreAuthPeriod"
EXT_ADMINISTRATION_REFERENCE = f"{PAS}/extension-administrationReferenceNumber"
EXT_AUTHORIZATION_NUMBER = f"{PAS}/extension-authorizationNumber"
PAS_BENEFICIARY = f"{PAS}/profile-beneficiary"
PAS_REQUESTOR = f"{PAS}/profile-requestor"
PAS_INSURER = f"{PAS}/profile-insurer"
PAS_COMMUNICATION_REQUEST = f"{PAS}/profile-communicationrequest"
X12_ACTION_SYSTEM = "https://codesystem.x12.org/005010/306"
X12_REASON_SYSTEM = "https://codesystem.x12.org/external/886"  # HCR03 decision reason
X12_ENTITY_SYSTEM = "https://codesystem.x12.org/005010/98"  # NM101 entity identifier
X12_REPORT_TYPE_SYSTEM = "https://codesystem.x12.org/005010/755"  # PWK01 report type
X12_TRANSMISSION_SYSTEM = "https://codesystem.x12.org/005010/756"  # PWK02 transmission
ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"

CERTIFIED = "A1"
NOT_CERTIFIED = "A3"
PENDED = "A4"
CANCELLED = "C"
# Displays as the IG's own examples write them (fsh/Examples.fsh); C is not in the examples.
X12_ACTION_DISPLAY = {
    CERTIFIED: "Certified in total",
    NOT_CERTIFIED: "Not Certified",
    PENDED: "Pending",
    CANCELLED: "Cancelled",
}

# HCR03 decision reasons (X12 external code list 886) by the kind of criterion a denial names.
# X12 licenses that list and neither the IG nor shared/ carries it: these codes must be checked
# against the plan's licensed copy before production (the conformance tests check the system).
HCR03_REASONS = {
    "requirement": ("0U", "Not medically necessary: clinical criteria not met"),
    "exclusion": ("0V", "Not medically necessary: contraindication or exclusion"),
    "limit": ("0W", "Benefit limit reached"),
}

# Attachment requests (a pend's CommunicationRequest): LOINC document codes from HL7's
# attachment-request value set (loinc.org/vs/valid-hl7-attachment-requests), the X12 PWK01
# report type of each, and the words in a request for information that ask for it.
LOINC_LAB_REPORT = "11502-2"  # Laboratory report
LOINC_IMAGING_STUDY = "18748-4"  # Diagnostic imaging study
LOINC_CONSULT_NOTE = "11488-4"  # Consult note
LOINC_PROGRESS_NOTE = "11506-3"  # Progress note
ATTACHMENTS: list[tuple[str, str]] = [
    (LOINC_LAB_REPORT, r"\b(factor ix|alt|ast|alp|bilirubin|labs?|laboratory|serology|hiv|"
     r"inhibitor screen|titer|titre|bethesda|result)"),
    (LOINC_IMAGING_STUDY, r"(ultrasound|elastograph|imaging|radiolog|fibroscan)"),
    (LOINC_CONSULT_NOTE, r"(specialist|specialty|consult|hematologist)"),
]  # fmt: skip
ATTACHMENT_CATEGORY = {
    LOINC_LAB_REPORT: ("LA", "Laboratory Results"),
    LOINC_IMAGING_STUDY: ("RR", "Radiology Reports"),
    LOINC_CONSULT_NOTE: ("M1", "Medical Record Attachment"),
    LOINC_PROGRESS_NOTE: ("M1", "Medical Record Attachment"),
}


def attachment_codes(item: str) -> list[str]:
    """The LOINC attachment codes that ask for one item of a request for information (a
    progress note where no other fits)."""
    found = [code for code, words in ATTACHMENTS if re.search(words, item, re.IGNORECASE)]
    return found or [LOINC_PROGRESS_NOTE]


def attachment_category(loinc: str) -> tuple[str, str]:
    return ATTACHMENT_CATEGORY[loinc]


# --- general terminologies -------------------------------------------------------------------
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
MEMBER_ID_TYPE = ("http://terminology.hl7.org/CodeSystem/v2-0203", "MB")
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
HEMGENIX_HCPCS = "J1411"  # Injection, etranacogene dezaparvovec-drlb, per therapeutic dose

# US Core birth sex codes (ONC value set: F, M, UNK) -> the portal's sex assigned at birth.
BIRTHSEX = {"M": "male", "F": "female", "UNK": "unknown"}

# LOINC codes for the results the policy asks for (verified against published LOINC value sets;
# 3190-6 was checked and is factor IX *antigen*, not an inhibitor titre, so the inhibitor titre
# uses this portal's own code instead).
LOINC_FIX_PERCENT = "3187-2"  # Coagulation factor IX activity actual/normal in PPP by Coag
LOINC_FIX_UNITS = "3186-4"  # Coagulation factor IX activity [Units/volume] in PPP by Coag
LOINC_BODY_WEIGHT = "29463-7"  # Body weight
LOINC_LABS = {
    "1742-6": "ALT",  # Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "1920-8": "AST",  # Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma
    "6768-6": "ALP",  # Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma
    "1975-2": "TBILI",  # Bilirubin.total [Mass/volume] in Serum or Plasma
}

# UCUM (or plain) units as sent -> the engine's unit names.
UNITS = {
    "%": "%",
    "[IU]/dL": "IU/dL",
    "IU/dL": "IU/dL",
    "[IU]/mL": "IU/mL",
    "IU/mL": "IU/mL",
    "U/L": "U/L",
    "[IU]/L": "IU/L",
    "IU/L": "IU/L",
    "mg/dL": "mg/dL",
    "umol/L": "umol/L",
    "µmol/L": "µmol/L",
    "[beth'U]": "BU",
    "[beth'U]/mL": "BU",
    "BU": "BU",
    "BU/mL": "BU",
    "kg": "kg",
    "[lb_av]": "lb",
    "lb": "lb",
}
POUND_KG = Decimal("0.45359237")

# NUCC provider taxonomy -> the engine's specialty words (the qualifying ones; others keep
# their display text so the checklist shows what was sent).
NUCC_SPECIALTIES = {
    "207RH0000X": "hematology",
    "207RH0003X": "hematology_oncology",
    "2080P0207X": "pediatric_hematology_oncology",
}

# This portal's own Observation codes: the fact each carries and the value type it holds.
OWN_OBSERVATIONS: dict[str, str] = {
    "on_fix_prophylaxis": "boolean",
    "prophylaxis_product": "string",
    "life_threatening_hemorrhage": "boolean",
    "repeated_serious_spontaneous_bleeding": "boolean",
    "hepatic_ultrasound": "imaging",
    "elastography": "imaging",
    "fix_inhibitor_history": "boolean",
    "inhibitor_titer_bu": "Quantity",
    "hiv_status": "code",
    "hepatitis_b_active": "boolean",
    "hepatitis_c_active": "boolean",
    "prior_hemophilia_b_gene_therapy": "boolean",
    "other_gene_therapy_under_consideration": "boolean",
    "prescriber_specialty": "string",
    "recommending_specialist_specialty": "string",
}
# Observation.method codes for the inhibitor titre (the facts' inhibitor_assay values).
INHIBITOR_ASSAYS = ("nijmegen-bethesda", "bethesda", "other")


@cache
def fact_descriptions() -> dict[str, Any]:
    """The facts JSON Schema's property descriptions: one wording for the engine and FHIR."""
    path = Path(criteria.__file__).parent / "schema" / "facts.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return {name: spec.get("description", "") for name, spec in schema["properties"].items()}


def _display(code: str) -> str:
    return code.replace("_", " ").capitalize()


def code_system() -> dict[str, Any]:
    """The CodeSystem behind HEMGENIX_SYSTEM, generated from the same table the mapping uses."""
    described = fact_descriptions()
    concepts: list[dict[str, Any]] = []
    for code, kind in OWN_OBSERVATIONS.items():
        definition = described.get(code) or _imaging_definition(code)
        concept: dict[str, Any] = {
            "code": code,
            "display": _display(code),
            "definition": f"{definition} Observation value: {_value_hint(kind)}.",
        }
        if code == "inhibitor_titer_bu":
            concept["concept"] = [
                {
                    "code": assay,
                    "display": f"{assay} assay",
                    "definition": f"Observation.method for an inhibitor titre by the {assay} "
                    "assay; only nijmegen-bethesda settles the inhibitor-screen criterion.",
                }
                for assay in INHIBITOR_ASSAYS
            ]
        concepts.append(concept)
    return {
        "resourceType": "CodeSystem",
        "id": "hemgenix-pa",
        "url": HEMGENIX_SYSTEM,
        "version": "1",
        "name": "HemgenixPriorAuthorizationFacts",
        "title": "Hemgenix prior-authorization facts without a LOINC code",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "hierarchyMeaning": "grouped-by",
        "description": "Observation codes for the facts of a Hemgenix prior-authorization "
        "request that LOINC does not cover. Each code is the criteria engine's fact name. "
        "Lab results use LOINC instead: factor IX activity 3187-2 (% of normal) or 3186-4 "
        "(IU/dL, IU/mL), ALT 1742-6, AST 1920-8, ALP 6768-6, total bilirubin 1975-2, body "
        "weight 29463-7.",
        "concept": concepts,
    }


def _imaging_definition(code: str) -> str:
    study = "Hepatic ultrasound" if code == "hepatic_ultrasound" else "Liver elastography"
    return f"{study} performed; effective[x] is the study date and the value its findings."


def _value_hint(kind: str) -> str:
    return {
        "boolean": "valueBoolean",
        "string": "valueString",
        "imaging": "valueString with the findings (optional)",
        "Quantity": "valueQuantity in Bethesda units ([beth'U]/mL); method from the child codes",
        "code": "valueCodeableConcept or valueString with one of the schema's values",
    }[kind]


def criteria_code_system() -> dict[str, Any]:
    """The policy's checklist lines as codes: denial reasons name the criterion they failed."""
    seen: dict[str, Any] = {}
    for policy in criteria.POLICIES.values():
        for line in policy.criteria:
            seen.setdefault(line.id, (line, policy.id))
    return {
        "resourceType": "CodeSystem",
        "id": "hemgenix-criteria",
        "url": CRITERIA_SYSTEM,
        "version": "1",
        "name": "HemgenixCriteria",
        "title": "Hemgenix policy criteria (checklist lines)",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "description": "One code per checklist line of the payer's Hemgenix policy; a denial's "
        "ClaimResponse names the lines the request failed with these codes.",
        "concept": [
            {
                "code": code,
                "display": line.wording[:250],
                "definition": f"{line.kind.value}: {line.section}: {line.wording} (first in "
                f"policy {policy_id})",
            }
            for code, (line, policy_id) in seen.items()
        ],
    }


def capability_statement(base_url: str) -> dict[str, Any]:
    """What this endpoint does, and only that: PAS $submit (with Claim updates) and $inquire on
    Claim with the IG's OperationDefinitions, JSON only, Subscriptions (backport, PAS topic,
    rest-hook), and reads of the Questionnaire and the CodeSystems. It instantiates none of the
    IG's CapabilityStatements: the intermediary's asks for XML, which this endpoint lacks (and
    for updates of a Subscription). Public and free of PHI: it names no patient, case or user."""
    pas_operations = "http://hl7.org/fhir/us/davinci-pas/OperationDefinition"
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-26",
        "kind": "instance",
        "software": {"name": "Hemgenix prior-authorization portal"},
        "implementation": {
            "description": "Hemgenix (HCPCS J1411) prior-authorization portal: Da Vinci PAS "
            "2.2.1 $submit and $inquire for Hemgenix requests only",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Answers conform to the PAS response profiles. XML and a CDex "
                "Task exchange are not offered.",
                "security": {
                    "description": "Authorization: Token <token> (a per-device API token of a "
                    "portal user) or a portal session. Only prescriber-office staff submit and "
                    "inquire, for their own clinic (the requesting Organization's NPI). This "
                    "statement is public; everything else needs a signed-in user."
                },
                "resource": [
                    {
                        "type": "Claim",
                        "supportedProfile": [
                            f"{PAS}/profile-claim",
                            f"{PAS}/profile-claim-update",
                            f"{PAS}/profile-claim-inquiry",
                        ],
                        "operation": [
                            {
                                "name": "submit",
                                "definition": f"{pas_operations}/Claim-submit",
                                "documentation": "A PAS request Bundle for Hemgenix (J1411) in, "
                                "a PAS response Bundle out; also a PAS Claim update "
                                "(Claim.related) answering the case's request for information.",
                            },
                            {
                                "name": "inquire",
                                "definition": f"{pas_operations}/Claim-inquiry",
                                "documentation": "A PAS inquiry Bundle (query by example) in, "
                                "a Parameters with 0..n PAS inquiry response Bundles out.",
                            },
                        ],
                    },
                    {
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/uv/subscriptions-backport/"
                                "StructureDefinition/capabilitystatement-subscriptiontopic-"
                                "canonical",
                                "valueCanonical": "http://hl7.org/fhir/us/davinci-pas/"
                                "SubscriptionTopic/PASSubscriptionTopic",
                            }
                        ],
                        "type": "Subscription",
                        "supportedProfile": [
                            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                            "backport-subscription"
                        ],
                        "interaction": [{"code": "create"}, {"code": "read"}, {"code": "delete"}],
                        "documentation": "R4 Subscriptions backport on the PAS topic: rest-hook "
                        "only (https; http to localhost), a handshake, then id-only or "
                        "full-resource notifications when a request of the clinic is pended "
                        "for information or decided.",
                    },
                    {
                        "type": "Questionnaire",
                        "interaction": [{"code": "read"}],
                        "documentation": "Questionnaire/hemgenix: the DTR documentation form.",
                    },
                    {
                        "type": "CodeSystem",
                        "interaction": [{"code": "read"}],
                        "documentation": "CodeSystem/hemgenix-pa and CodeSystem/hemgenix-criteria.",
                    },
                ],
            }
        ],
    }
