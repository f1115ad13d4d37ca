"""The Hemgenix documentation form (the DTR Questionnaire) and reading its QuestionnaireResponse.

Each question's linkId is the criteria engine's fact name (or a request detail such as
planned_infusion_date), so an answer lands on the fact of the same name. The two repeating groups,
"labs" and "imaging", hold one lab result or imaging study per repetition; their questions are
"labs.code", "labs.value", ... and become the engine's labs/imaging rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)

from criteria.io import FIX_UNITS, HIV_STATUSES, IMAGING_KINDS, LAB_UNITS, SEXES

from .codes import INHIBITOR_ASSAYS, QUESTIONNAIRE_URL
from .collect import Collected
from .outcomes import invalid

SPECIALTIES = (
    "hematology",
    "hematology_oncology",
    "pediatric_hematology_oncology",
    "hemophilia_treatment_center",
    "internal_medicine",
    "none",
)
LAB_UNIT_NAMES = tuple(dict.fromkeys(unit for units in LAB_UNITS.values() for unit in units))


@dataclass(frozen=True)
class Question:
    link_id: str
    text: str
    type: str  # boolean | decimal | date | string | text | choice | open-choice
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The fact (or lab/imaging field) the answer fills: the linkId after any group."""
        return self.link_id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Section:
    link_id: str
    text: str
    questions: tuple[Question, ...]
    repeats: bool = False

    def question(self, link_id: str | None) -> Question | None:
        return next((q for q in self.questions if q.link_id == link_id), None)


YES_NO = "boolean"
SECTIONS = (
    Section("member", "Member", (
        Question("sex_assigned_at_birth", "Sex assigned at birth", "choice", SEXES),
    )),
    Section("diagnosis", "Diagnosis", (
        Question("diagnosis_code", "ICD-10-CM code of the hemophilia diagnosis (e.g. D67)",
                 "string"),
    )),
    Section("fix_activity", "Factor IX activity (most recent)", (
        Question("fix_activity_value", "Factor IX activity", "decimal"),
        Question("fix_activity_unit", "Unit", "choice", FIX_UNITS),
        Question("fix_activity_date", "Test date", "date"),
    )),
    Section("prophylaxis", "Factor IX prophylaxis", (
        Question("on_fix_prophylaxis", "Currently on factor IX prophylaxis?", YES_NO),
        Question("prophylaxis_product", "Prophylaxis product", "string"),
    )),
    Section("bleeding", "Bleeding history", (
        Question("life_threatening_hemorrhage",
                 "Current or historical life-threatening hemorrhage?", YES_NO),
        Question("repeated_serious_spontaneous_bleeding",
                 "Repeated, serious spontaneous bleeding episodes?", YES_NO),
    )),
    Section("labs", "Liver enzyme panel result (one per test)", (
        Question("labs.code", "Test", "choice", tuple(LAB_UNITS)),
        Question("labs.value", "Result", "decimal"),
        Question("labs.unit", "Unit", "choice", LAB_UNIT_NAMES),
        Question("labs.date", "Collection date", "date"),
    ), repeats=True),
    Section("imaging", "Liver imaging study (one per study)", (
        Question("imaging.kind", "Study", "choice", IMAGING_KINDS),
        Question("imaging.date", "Study date", "date"),
        Question("imaging.findings", "Findings", "text"),
    ), repeats=True),
    Section("prescriber", "Prescriber", (
        Question("prescriber_specialty", "Prescriber's specialty", "open-choice", SPECIALTIES),
        Question("recommending_specialist_specialty",
                 "Specialty of the recommending specialist, if the prescriber is not one",
                 "open-choice", SPECIALTIES),
    )),
    Section("inhibitors", "Factor IX inhibitors", (
        Question("fix_inhibitor_history", "Any history of factor IX inhibitors?", YES_NO),
        Question("inhibitor_titer_bu", "Most recent inhibitor titre (Bethesda units)", "decimal"),
        Question("inhibitor_assay", "Assay", "choice", INHIBITOR_ASSAYS),
        Question("inhibitor_test_date", "Test date", "date"),
    )),
    Section("infections", "Infections", (
        Question("hiv_status", "HIV status", "choice", HIV_STATUSES),
        Question("hepatitis_b_active", "Active hepatitis B infection?", YES_NO),
        Question("hepatitis_c_active", "Active hepatitis C infection?", YES_NO),
    )),
    Section("gene_therapy", "Gene therapy", (
        Question("prior_hemophilia_b_gene_therapy",
                 "Prior gene therapy for hemophilia B?", YES_NO),
        Question("other_gene_therapy_under_consideration",
                 "Another hemophilia B gene therapy under consideration?", YES_NO),
    )),
    Section("request", "Request", (
        Question("planned_infusion_date", "Planned infusion date", "date"),
        Question("body_weight_kg", "Body weight (kg)", "decimal"),
        Question("expedite_reason",
                 "If expedited: why waiting the standard time could seriously jeopardize the "
                 "patient's life, health or function", "text"),
    )),
)  # fmt: skip
SECTIONS_BY_ID = {section.link_id: section for section in SECTIONS}


def questionnaire() -> dict[str, Any]:
    """The Questionnaire resource served at GET /fhir/Questionnaire/hemgenix."""
    return {
        "resourceType": "Questionnaire",
        "id": "hemgenix",
        "url": QUESTIONNAIRE_URL,
        "version": "1",
        "name": "HemgenixPriorAuthorization",
        "title": "Hemgenix (etranacogene dezaparvovec-drlb) prior-authorization documentation",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "The facts the payer's Hemgenix policy needs. Each linkId is the fact "
        "name of the portal's criteria engine; answer what is known and leave the rest out "
        "(an unanswered question is reported as missing information, never as 'no').",
        "item": [_section_item(section) for section in SECTIONS],
    }


def _section_item(section: Section) -> dict[str, Any]:
    return {
        "linkId": section.link_id,
        "text": section.text,
        "type": "group",
        "repeats": section.repeats,
        "item": [_question_item(q) for q in section.questions],
    }


def _question_item(question: Question) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": question.link_id,
        "text": question.text,
        "type": question.type,
    }
    if question.options:
        item["answerOption"] = [{"valueString": option} for option in question.options]
    return item


def read_response(qr: QuestionnaireResponse, where: str, into: Collected) -> None:
    """Put a QuestionnaireResponse's answers into ``into`` (facts and request details)."""
    if qr.questionnaire and qr.questionnaire.split("|")[0] != QUESTIONNAIRE_URL:
        raise invalid(
            f"This QuestionnaireResponse answers {qr.questionnaire}, not {QUESTIONNAIRE_URL}.",
            f"{where}.questionnaire",
        )
    for index, group in enumerate(qr.item or []):
        path = f"{where}.item[{index}]"
        section = SECTIONS_BY_ID.get(group.linkId or "")
        if section is None:
            raise invalid(f"Unknown group linkId {group.linkId!r}.", f"{path}.linkId")
        answers = _section_answers(section, group, path)
        if section.repeats:
            into.append(section.link_id, answers, path)
        else:
            for key, value in answers.items():
                into.put(key, value, path)


def _section_answers(
    section: Section, group: QuestionnaireResponseItem, path: str
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for index, item in enumerate(group.item or []):
        question = section.question(item.linkId)
        where = f"{path}.item[{index}]"
        if question is None:
            raise invalid(f"Unknown linkId {item.linkId!r} in group {section.link_id}.", where)
        if item.answer:
            answers[question.key] = _value(question, item.answer[0], f"{where}.answer[0]")
    return answers


def _value(question: Question, answer: QuestionnaireResponseItemAnswer, where: str) -> Any:
    kind = question.type
    if kind == "boolean" and answer.valueBoolean is not None:
        return answer.valueBoolean
    if kind == "decimal" and (number := _number(answer)) is not None:
        return number
    if kind == "date" and isinstance(answer.valueDate, date):
        return answer.valueDate.isoformat()
    if kind in ("string", "text") and answer.valueString is not None:
        return answer.valueString
    if kind in ("choice", "open-choice"):
        if answer.valueCoding is not None and answer.valueCoding.code:
            return answer.valueCoding.code
        if answer.valueString is not None:
            return answer.valueString
    expected = {"choice": "valueCoding or valueString", "open-choice": "valueString"}
    raise invalid(
        f"{question.link_id} needs a {expected.get(kind, 'value' + kind.capitalize())} answer"
        + (" with a full date (YYYY-MM-DD)" if kind == "date" else "")
        + ".",
        where,
    )


def _number(answer: QuestionnaireResponseItemAnswer) -> str | None:
    value = answer.valueDecimal if answer.valueDecimal is not None else answer.valueInteger
    return None if value is None else str(Decimal(value))
