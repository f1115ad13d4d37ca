"""Forms of the prescriber portal, and the one mapping between their fields and the criteria
engine's facts document (criteria/schema/facts.schema.json), both ways.

A field left empty is left out of the facts: the engine then reports its line as unknown and
asks for it. Nothing empty ever becomes "no".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Fieldset, Layout, LayoutObject, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.validators import validate_npi
from criteria.facts import FLAG_FIELDS
from criteria.io import FIX_UNITS, HIV_STATUSES, INHIBITOR_ASSAYS, LAB_UNITS
from criteria.registry import POLICIES

from . import labels, services
from .dosing import (
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    validate_body_weight,
    validate_planned_infusion_date,
)
from .members import MemberIdInvalid, member_key
from .models import CLINIC_TEXT_MAX_LENGTH, Case, DocumentKind, Patient, Urgency
from .selectors import patients_visible_to
from .text import is_blank

# --- choices ----------------------------------------------------------------------------------

# The labels come from the one place that holds them (reviews/labels.py).
SPECIALTY_LABELS = labels.SPECIALTY_LABELS
ASSAY_LABELS = labels.ASSAY_LABELS
HIV_LABELS = labels.HIV_LABELS
LAB_LABELS = labels.LAB_LABELS
IMAGING_LABELS = labels.IMAGING_LABELS
CRITERION_LABELS = labels.CRITERION_LABELS

UNKNOWN_LABEL = "Not known yet"
TRI_CHOICES = [("", UNKNOWN_LABEL), ("yes", "Yes"), ("no", "No")]
TRI_VALUES = {"yes": True, "no": False}

# Every policy version's qualifying specialties, so no stored choice falls off the list.
SPECIALISTS = tuple(
    dict.fromkeys(s for policy in POLICIES.values() for s in policy.specialist_specialties)
)
OTHER_SPECIALTIES = [
    (s, SPECIALTY_LABELS[s])
    for s in ("internal_medicine", "family_medicine", "pediatrics", "oncology", "other")
]
SPECIALIST_CHOICES = [
    (s, SPECIALTY_LABELS.get(s, s.replace("_", " ").capitalize())) for s in SPECIALISTS
]
PRESCRIBER_SPECIALTY_CHOICES = [
    ("", "Not given"),
    ("Qualifying specialties", SPECIALIST_CHOICES),
    ("Other", OTHER_SPECIALTIES),
]
RECOMMENDER_CHOICES = [
    ("", "Not given"),
    ("none", SPECIALTY_LABELS["none"]),
    ("Recommended by", SPECIALIST_CHOICES),
]
FIX_UNIT_CHOICES = [("", "Unit"), *[(u, u) for u in FIX_UNITS]]
ASSAY_CHOICES = [("", "Assay"), *[(a, ASSAY_LABELS.get(a, a)) for a in INHIBITOR_ASSAYS]]
HIV_CHOICES = [("", UNKNOWN_LABEL), *[(s, HIV_LABELS.get(s, s)) for s in HIV_STATUSES]]

# Form field prefix per lab code and per imaging kind.
LABS = {"ALT": "alt", "AST": "ast", "ALP": "alp", "TBILI": "tbili"}
IMAGING = {"hepatic_ultrasound": "ultrasound", "elastography": "elastography"}

CRITERION_CHOICES = list(
    {
        c.id: CRITERION_LABELS.get(c.id, c.wording[:60])
        for policy in POLICIES.values()
        for c in policy.criteria
    }.items()
)

# --- the mapping: form fields <-> facts document ----------------------------------------------

# Facts whose form field has the fact's own name and holds the value as is.
PLAIN_FACTS = (
    "diagnosis_code",
    "fix_activity_value",
    "fix_activity_unit",
    "fix_activity_date",
    "prophylaxis_product",
    "prescriber_specialty",
    "recommending_specialist_specialty",
    "inhibitor_titer_bu",
    "inhibitor_assay",
    "inhibitor_test_date",
    "hiv_status",
)
LAB_PARTS = ("value", "unit", "date", "source")
IMAGING_PARTS = ("date", "findings", "source")
# What a clinic records about a patient (the API's patient shape too).
PATIENT_FIELDS = (
    "member_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "sex_assigned_at_birth",
    "gender_identity",
)
# Request details kept on the case itself, not in the facts.
DETAIL_FIELDS = services.DETAIL_FIELDS
# Those an approval needs (reviews.dosing.approval_gaps), which an answer may give too.
APPROVAL_DETAILS = ("body_weight_kg", "planned_infusion_date", "prescriber_npi")


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # a numeric string keeps the exact value, as the schema allows
    return value.strip() if isinstance(value, str) else value


def _given(value: Any) -> bool:
    return value is not None and value != ""


def facts_from_cleaned(data: Mapping[str, Any]) -> dict[str, Any]:
    """The clinic's facts document from a form's cleaned data (fields may be missing)."""
    facts: dict[str, Any] = {
        name: _json(data[name]) for name in PLAIN_FACTS if _given(data.get(name))
    }
    if "diagnosis_code" in facts:
        facts["diagnosis_code"] = facts["diagnosis_code"].upper()
    facts.update(
        {name: TRI_VALUES[data[name]] for name in FLAG_FIELDS if data.get(name) in TRI_VALUES}
    )
    labs = [
        {"code": code, **_parts(data, prefix, LAB_PARTS)}
        for code, prefix in LABS.items()
        if _given(data.get(f"{prefix}_value"))
    ]
    imaging = [
        {"kind": kind, **_parts(data, prefix, IMAGING_PARTS)}
        for kind, prefix in IMAGING.items()
        if any(_given(data.get(f"{prefix}_{part}")) for part in IMAGING_PARTS)
    ]
    if labs:
        facts["labs"] = labs
    if imaging:
        facts["imaging"] = imaging
    return facts


def _parts(data: Mapping[str, Any], prefix: str, parts: Iterable[str]) -> dict[str, Any]:
    return {p: _json(data[f"{prefix}_{p}"]) for p in parts if _given(data.get(f"{prefix}_{p}"))}


def initial_from_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Form initial values from a stored facts document, the inverse of facts_from_cleaned.

    The form holds one result per lab and per imaging kind: the latest dated one, which is also
    the one the engine uses.
    """
    initial = {name: facts[name] for name in PLAIN_FACTS if _given(facts.get(name))}
    for name in FLAG_FIELDS:
        if isinstance(facts.get(name), bool):
            initial[name] = "yes" if facts[name] else "no"
    for code, item in _latest(facts.get("labs"), "code").items():
        initial.update(_prefixed(item, LABS.get(code), LAB_PARTS))
    for kind, item in _latest(facts.get("imaging"), "kind").items():
        initial.update(_prefixed(item, IMAGING.get(kind), IMAGING_PARTS))
    return initial


def _latest(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
    latest: dict[str, Mapping[str, Any]] = {}
    for item in items or []:
        current = latest.get(item.get(key))
        if current is None or (item.get("date") or "") >= (current.get("date") or ""):
            latest[item.get(key)] = item
    return latest


def _prefixed(item: Mapping[str, Any], prefix: str | None, parts: Iterable[str]) -> dict[str, Any]:
    if prefix is None:
        return {}
    return {f"{prefix}_{p}": item[p] for p in parts if _given(item.get(p))}


def initial_from_case(case: Case) -> dict[str, Any]:
    initial = initial_from_facts(case.facts)
    initial.update({name: getattr(case, name) for name in DETAIL_FIELDS})
    initial.update(urgency=case.urgency, expedite_reason=case.expedite_reason)
    return initial


_ITEM_PATH = re.compile(r"(labs|imaging)\[(\d+)\]\.(\w+)")


def field_for_fact(path: str, facts: Mapping[str, Any]) -> str | None:
    """The form field a criteria.io error path is about, e.g. labs[1].date -> ast_date."""
    if match := _ITEM_PATH.fullmatch(path):
        group, index, part = match[1], int(match[2]), match[3]
        items = facts.get(group) or []
        item = items[index] if index < len(items) else {}
        kinds = LABS if group == "labs" else IMAGING
        prefix = kinds.get(str(item.get("code" if group == "labs" else "kind")))
        return f"{prefix}_{part}" if prefix else None
    return path if path in PLAIN_FACTS or path in FLAG_FIELDS else None


def fact_error_message(path: str, message: str) -> str:
    # criteria.io starts each message with its path; a form shows it beside the field instead.
    return message.removeprefix(f"{path}: ")


def add_facts_errors(
    form: forms.Form, errors: Iterable[tuple[str, str]], facts: Mapping[str, Any]
) -> None:
    for path, message in errors:
        field = field_for_fact(path, facts)
        if field in form.fields:
            form.add_error(field, fact_error_message(path, message))
        elif path in ("date_of_birth", "sex_assigned_at_birth"):
            form.add_error(None, f"Patient record: {fact_error_message(path, message)}")
        else:
            form.add_error(None, labels.fact_error(path, message))


# --- fields -----------------------------------------------------------------------------------

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE_WIDGET, **kwargs)


def _number(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_digits=10, decimal_places=4, **kwargs
    )


def _text(label: str, max_length: int = 200, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length, **kwargs)


def _flag(label: str, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=TRI_CHOICES, **kwargs)


def _choice(label: str, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=choices, **kwargs)


def _lab_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for code, prefix in LABS.items():
        name = LAB_LABELS[code]
        units = [("", "Unit"), *[(u, u) for u in LAB_UNITS[code]]]
        fields[f"{prefix}_value"] = _number(f"{name} result")
        fields[f"{prefix}_unit"] = _choice(f"{name} unit", units)
        fields[f"{prefix}_date"] = _date(f"{name} date")
        fields[f"{prefix}_source"] = _text(f"{name} source", help_text="Lab or report name")
    return fields


def _imaging_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for kind, prefix in IMAGING.items():
        name = IMAGING_LABELS[kind]
        fields[f"{prefix}_date"] = _date(f"{name} date")
        fields[f"{prefix}_findings"] = forms.CharField(
            label=f"{name} findings",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        fields[f"{prefix}_source"] = _text(f"{name} source", help_text="Facility or report name")
    return fields


# Each section: a title and its rows of fields. A form lays out the fields it has.
SECTIONS: list[tuple[str, list[tuple[str, ...]]]] = [
    ("Your answer", [("note",)]),
    (
        "Patient and request",
        [
            ("patient",),
            ("urgency", "planned_infusion_date", "body_weight_kg"),
            ("expedite_reason",),
        ],
    ),
    (
        "Prescriber",
        [
            ("prescriber_name", "prescriber_npi"),
            ("prescriber_specialty", "recommending_specialist_specialty"),
        ],
    ),
    (
        "Diagnosis and factor IX activity",
        [("diagnosis_code",), ("fix_activity_value", "fix_activity_unit", "fix_activity_date")],
    ),
    (
        "Prophylaxis and bleeding history",
        [
            ("on_fix_prophylaxis", "prophylaxis_product"),
            ("life_threatening_hemorrhage", "repeated_serious_spontaneous_bleeding"),
        ],
    ),
    (
        "Liver health assessment",
        [
            *[tuple(f"{prefix}_{p}" for p in LAB_PARTS) for prefix in LABS.values()],
            *[
                row
                for prefix in IMAGING.values()
                for row in ((f"{prefix}_date", f"{prefix}_source"), (f"{prefix}_findings",))
            ],
        ],
    ),
    (
        "Factor IX inhibitors",
        [
            ("fix_inhibitor_history",),
            ("inhibitor_titer_bu", "inhibitor_assay", "inhibitor_test_date"),
        ],
    ),
    ("HIV and hepatitis", [("hiv_status", "hepatitis_b_active", "hepatitis_c_active")]),
    (
        "Gene therapy",
        [("prior_hemophilia_b_gene_therapy", "other_gene_therapy_under_consideration")],
    ),
]

# A result needs its companions: (field given, fields it needs).
COMPANIONS: list[tuple[str, tuple[str, ...]]] = [
    ("fix_activity_value", ("fix_activity_unit", "fix_activity_date")),
    ("inhibitor_titer_bu", ("inhibitor_assay", "inhibitor_test_date")),
    *[(f"{p}_value", (f"{p}_unit", f"{p}_date")) for p in LABS.values()],
    *[(f"{p}_findings", (f"{p}_date",)) for p in IMAGING.values()],
    *[(f"{p}_source", (f"{p}_date",)) for p in IMAGING.values()],
]
# A date or unit alone says nothing: it needs the result it belongs to.
ORPHANS: list[tuple[str, str]] = [
    ("fix_activity_date", "fix_activity_value"),
    ("inhibitor_test_date", "inhibitor_titer_bu"),
    *[(f"{p}_{part}", f"{p}_value") for p in LABS.values() for part in ("date", "source")],
]


def _layout(form: forms.Form) -> Layout:
    sections: list[LayoutObject] = []
    for title, rows in SECTIONS:
        present = [[n for n in row if n in form.fields] for row in rows]
        if not any(present):
            continue
        body = [
            Row(*[Column(n, css_class="col-12 col-sm-6 col-lg") for n in row])
            for row in present
            if row
        ]
        slug = re.sub(r"\W+", "-", title.lower())
        sections.append(
            Div(Fieldset(title, *body), css_class="card card-body mb-3", css_id=f"section-{slug}")
        )
    return Layout(*sections)


class FactsForm(forms.Form):
    """The clinical facts the policy asks for, each with its value, date and source."""

    prescriber_specialty = _choice("Prescriber specialty", PRESCRIBER_SPECIALTY_CHOICES)
    recommending_specialist_specialty = _choice(
        "Recommending specialist",
        RECOMMENDER_CHOICES,
        help_text="When the prescriber is not a hematologist or hemophilia B specialist.",
    )
    diagnosis_code = _text("Diagnosis (ICD-10-CM)", max_length=10, help_text="Hemophilia B is D67.")
    fix_activity_value = _number("Factor IX activity")
    fix_activity_unit = _choice("Factor IX activity unit", FIX_UNIT_CHOICES)
    fix_activity_date = _date("Factor IX test date")
    on_fix_prophylaxis = _flag("Currently on factor IX prophylaxis")
    prophylaxis_product = _text("Prophylaxis product", help_text="e.g. Alprolix, Idelvion")
    life_threatening_hemorrhage = _flag("Current or past life-threatening hemorrhage")
    repeated_serious_spontaneous_bleeding = _flag("Repeated, serious spontaneous bleeding")
    fix_inhibitor_history = _flag("Any history of factor IX inhibitors")
    inhibitor_titer_bu = _number("Latest inhibitor titer (BU)")
    inhibitor_assay = _choice("Inhibitor assay", ASSAY_CHOICES)
    inhibitor_test_date = _date("Inhibitor test date")
    hiv_status = _choice("HIV status", HIV_CHOICES)
    hepatitis_b_active = _flag("Active hepatitis B infection")
    hepatitis_c_active = _flag("Active hepatitis C infection")
    prior_hemophilia_b_gene_therapy = _flag("Prior gene therapy for hemophilia B")
    other_gene_therapy_under_consideration = _flag("Another hemophilia B gene therapy considered")

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields.update(_lab_fields())
        self.fields.update(_imaging_fields())
        self._keep_stored_choices()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = _layout(self)

    def _keep_stored_choices(self) -> None:
        """A draft from the API may hold a specialty the list lacks; keep it selectable."""
        for name in ("prescriber_specialty", "recommending_specialist_specialty"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            stored = self.initial.get(name)
            if stored and stored not in {value for value, _ in _flat(field.choices)}:
                field.choices = [*cast(list[Any], field.choices), (stored, stored)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for given, needed in COMPANIONS:
            for name in needed:
                if (
                    _given(data.get(given))
                    and not _given(data.get(name))
                    and name not in self.errors
                ):
                    self.add_error(name, f"Needed with the {self.fields[given].label}.")
        for orphan, owner in ORPHANS:
            if (
                _given(data.get(orphan))
                and not _given(data.get(owner))
                and owner not in self.errors
            ):
                self.add_error(
                    owner, f"Enter the result that goes with the {self.fields[orphan].label}."
                )
        if not self.errors:
            self.check_facts()
        return data

    def current_patient(self) -> Patient | None:
        return self.patient

    def summary(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The form's initial values, read-only, by section: (title, [(label, shown value)])."""
        sections = []
        for title, rows in SECTIONS:
            shown = [
                (str(self.fields[name].label), _display(self.fields[name], self.initial[name]))
                for row in rows
                for name in row
                if name in self.fields and _given(self.initial.get(name))
            ]
            if shown:
                sections.append((title, shown))
        return sections

    def error_list(self) -> list[tuple[str, str]]:
        """(field label, message) for every error; the label is empty for form-wide ones."""
        return [
            (str(self.fields[name].label or name) if name in self.fields else "", str(message))
            for name, messages in self.errors.items()
            for message in messages
        ]

    def facts(self) -> dict[str, Any]:
        """The facts document of what has been entered so far (valid fields only)."""
        return facts_from_cleaned(getattr(self, "cleaned_data", {}))

    def check_facts(self) -> None:
        """Run the engine's own reader on the facts, with the patient's date of birth, so a
        date before birth or in the future is flagged on its field before anything is saved."""
        facts = self.facts()
        try:
            services.evaluate_facts(patient=self.current_patient(), facts=facts)
        except services.FactsInvalid as exc:
            add_facts_errors(self, exc.errors, facts)


def _display(field: forms.Field, value: Any) -> str:
    if isinstance(field, forms.ChoiceField):
        return str(dict(_flat(field.choices)).get(value, value))
    return str(value)


def _flat(choices: Any) -> Iterable[tuple[Any, Any]]:
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield value, label


class ApprovalDetailsForm(forms.Form):
    """What an approval needs besides the facts (reviews.dosing.approval_gaps): the member's
    body weight, the planned infusion date and the prescriber's NPI. The request form and the
    answer to a request for information both take them."""

    planned_infusion_date = _date(
        "Planned infusion date", validators=[validate_planned_infusion_date]
    )
    # The range is checked by validate_body_weight, in the words every door uses (min_value and
    # max_value would add Django's own); the input still tells the browser the range.
    body_weight_kg = forms.DecimalField(
        label="Body weight (kg)",
        required=False,
        max_digits=5,
        decimal_places=1,
        validators=[validate_body_weight],
        widget=forms.NumberInput(attrs={"min": WEIGHT_MIN_KG, "max": WEIGHT_MAX_KG}),
    )
    prescriber_npi = forms.CharField(
        label="Prescriber NPI",
        required=False,
        max_length=10,
        validators=[validate_npi],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class RequestForm(FactsForm, ApprovalDetailsForm):
    """A new request or a draft: the facts plus the patient and the request's details."""

    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.STANDARD)
    expedite_reason = forms.CharField(
        label="Reason for an expedited review",
        required=False,
        max_length=CLINIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why waiting the standard review time could seriously jeopardize the "
        "patient's life, health or ability to regain maximum function.",
    )
    prescriber_name = _text("Prescriber name")

    def __init__(self, *args: Any, user: User, case: Case | None = None, **kwargs: Any) -> None:
        if case is not None:
            kwargs.setdefault("initial", initial_from_case(case))
        super().__init__(*args, patient=case.patient if case else None, **kwargs)
        if case is None:
            # A draft's patient is fixed; a new request chooses one of the clinic's patients.
            self.fields["patient"] = forms.ModelChoiceField(
                queryset=patients_visible_to(user).order_by("last_name", "first_name"),
                empty_label="Choose a patient",
            )
            self.helper.layout = _layout(self)

    def current_patient(self) -> Patient | None:
        return self.patient or getattr(self, "cleaned_data", {}).get("patient")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("urgency") == Urgency.EXPEDITED and is_blank(data.get("expedite_reason")):
            self.add_error("expedite_reason", "An expedited request needs its reason.")
        return data

    def details(self) -> dict[str, Any]:
        """The service keyword arguments besides the facts."""
        data = self.cleaned_data
        return {
            "urgency": data["urgency"],
            "expedite_reason": data.get("expedite_reason", "").strip(),
            **{name: data.get(name) for name in DETAIL_FIELDS},
            "prescriber_npi": data.get("prescriber_npi") or "",
            "prescriber_name": (data.get("prescriber_name") or "").strip(),
        }


class AnswerForm(FactsForm, ApprovalDetailsForm):
    """An answer to a request for information: corrected facts, the details an approval needs
    (weight, planned infusion date, prescriber NPI) and a note."""

    note = forms.CharField(
        label="Note to the reviewer",
        required=False,
        max_length=CLINIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you answer with documents only.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        initial = {name: getattr(case, name) for name in APPROVAL_DETAILS}
        kwargs.setdefault("initial", {**initial_from_facts(case.facts), **initial})
        super().__init__(*args, patient=case.patient, **kwargs)
        self.case = case

    def changed_details(self) -> dict[str, Any]:
        """The approval details the answer gives or corrects (an emptied field keeps the value
        on file: the service replaces only those given)."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in APPROVAL_DETAILS
            if _given(data.get(name)) and data[name] != getattr(self.case, name)
        }

    def changed_facts(self) -> dict[str, Any]:
        """What the answer changes: new or corrected facts, and None for a cleared one (the
        service merges these over the stored facts, and null means unknown)."""
        new, old = self.facts(), self.case.facts
        changed: dict[str, Any] = {k: v for k, v in new.items() if old.get(k) != v}
        changed.update({k: None for k in old if k not in new and old[k] is not None})
        return changed


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = list(PATIENT_FIELDS)
        widgets = {"date_of_birth": DATE_WIDGET}
        help_texts = {
            "sex_assigned_at_birth": "As recorded at birth; the policy's criterion uses this.",
            "gender_identity": "Optional, as the patient describes it; kept apart and not "
            "used by the criteria.",
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("member_id", css_class="col-12 col-md-4")),
            Row(
                Column("first_name", css_class="col-12 col-sm-6"),
                Column("last_name", css_class="col-12 col-sm-6"),
            ),
            Row(
                Column("date_of_birth", css_class="col-12 col-sm-6 col-md-4"),
                Column("sex_assigned_at_birth", css_class="col-12 col-sm-6 col-md-4"),
                Column("gender_identity", css_class="col-12 col-md-4"),
            ),
        )

    def clean_member_id(self) -> str:
        member_id = self.cleaned_data["member_id"].strip()
        try:
            key = member_key(member_id)
        except MemberIdInvalid as exc:
            raise ValidationError(str(exc)) from None
        if patients_visible_to(self.user).filter(member_key=key).exists():
            raise ValidationError("Your clinic already has a patient with this member ID.")
        return member_id

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        if problem := services.date_of_birth_problem(born, today=timezone.localdate()):
            raise ValidationError(problem)
        return born


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of document", choices=DocumentKind.choices)
    supports = forms.MultipleChoiceField(
        label="Criteria this document supports",
        required=False,
        choices=CRITERION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    file = forms.FileField(
        label="File (PDF, PNG or JPEG)",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("kind", css_class="col-12 col-md-4"),
                Column("file", css_class="col-12 col-md-8"),
            ),
            Div("supports", css_class="supports-grid"),
        )


class DocumentRemoveForm(forms.Form):
    """The reason a clinic gives for taking a document back: bad input here is a 400 to
    correct, never the 409 of a request that has moved on (the service checks it again)."""

    reason = forms.CharField(
        required=False,
        max_length=services.REMOVAL_REASON_MAX,
        error_messages={
            "max_length": f"The reason is longer than {services.REMOVAL_REASON_MAX} characters; "
            "nothing was changed."
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=CLINIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
