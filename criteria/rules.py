"""The predicates behind each criterion.

Each check takes the facts and the policy (for its thresholds) and returns an
``Outcome``. The rules are monotone: supplying a fact that was missing can move a
line from unknown to met or not met, but never flips a line that was already decided.
That is what makes "unknown" honest: nothing is decided on the absence of a fact.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from criteria.facts import FLAG_FIELDS, Facts, ImagingResult, LabResult
from criteria.labels import assay_label, specialty_label
from criteria.policy import Outcome, Policy
from criteria.results import Evidence, Status, new_evidence

MET, NOT_MET, UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN

# Percent of normal per unit: % and IU/dL are the same scale; IU/mL is 100x smaller.
FIX_UNIT_TO_PERCENT: dict[str, Decimal] = {
    "%": Decimal(1),
    "iu/dl": Decimal(1),
    "iu/ml": Decimal(100),
}

KNOWN_SEXES = ("male", "female", "intersex")

# Codes people confuse with hemophilia B, so a reason can say what was given instead.
# Keys are normalized (upper case, no dot).
ICD10_DESCRIPTIONS: dict[str, str] = {
    "D67": "hereditary factor IX deficiency, hemophilia B",
    "D66": "hereditary factor VIII deficiency, hemophilia A",
    "D68311": "acquired hemophilia",
    "D681": "hereditary factor XI deficiency",
    "D682": "hereditary deficiency of other clotting factors",
    "D684": "acquired coagulation factor deficiency",
    "D6800": "von Willebrand disease, unspecified",
    "Z1401": "asymptomatic hemophilia A carrier",
    "Z1402": "symptomatic hemophilia A carrier",
    "Z148": "genetic carrier of other disease, e.g. a hemophilia B carrier",
}

LAB_NAMES = {"ALT": "ALT", "AST": "AST", "ALP": "ALP", "TBILI": "total bilirubin"}
IMAGING_NAMES = {"hepatic_ultrasound": "hepatic ultrasound", "elastography": "elastography"}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fmt_decimal(value: Decimal) -> str:
    """The value as written ("2.0" stays "2.0"), but never in exponent form ("1E+2")."""
    text = str(value)
    return f"{value:f}" if "E" in text else text


def _on(day: date | None) -> str:
    return f", tested {day.isoformat()}" if day else ""


def _slug(value: str | None, sep: str) -> str | None:
    """Lower-case and join words with ``sep``; blank means not supplied."""
    if value is None:
        return None
    return _slugify(value, sep)


@lru_cache(maxsize=1024)
def _slugify(value: str, sep: str) -> str | None:
    # Memoized: the same few specialty/status strings recur on every evaluation.
    return _NON_ALNUM.sub(sep, value.strip().lower()).strip(sep) or None


def _flag(field: str, value: bool) -> Evidence:
    """Evidence for a yes/no fact. Shared instances: they are immutable and recur."""
    return _FLAGS[(field, value)]


_FLAGS: dict[tuple[str, bool], Evidence] = {
    (field, value): new_evidence(field, str(value).lower())
    for field in FLAG_FIELDS
    for value in (True, False)
}


def anniversary(born: date, years: int) -> date:
    """The day someone born on ``born`` turns ``years`` old.

    A Feb 29 birthday falls on Mar 1 in non-leap years (the member is not yet
    N on Feb 28), which never approves anyone a day early.
    """
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def age_on(born: date, on: date) -> int:
    """Completed years. Comparing (month, day) pairs puts a Feb 29 birthday after
    Feb 28 and before Mar 1, which matches ``anniversary``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_age(f: Facts, p: Policy) -> Outcome:
    born, on = f.date_of_birth, f.evaluation_date
    if born is None:
        return Outcome(UNKNOWN, "Date of birth not supplied")
    ev = (new_evidence("date_of_birth", born.isoformat()),)
    if born > on:
        return Outcome(
            UNKNOWN,
            f"Date of birth {born.isoformat()} is after the evaluation date {on.isoformat()}",
            ev,
            "Confirm the member's date of birth",
        )
    minimum = p.min_age_years
    age = age_on(born, on)
    if age >= minimum:
        return Outcome(
            MET,
            f"Age {age} on {on.isoformat()} (born {born.isoformat()}); "
            f"policy requires {minimum} or older",
            ev,
        )
    turns = anniversary(born, minimum)
    return Outcome(
        NOT_MET,
        f"Age {age} on {on.isoformat()} (born {born.isoformat()}, turns {minimum} on "
        f"{turns.isoformat()}); policy requires {minimum} or older",
        ev,
    )


def check_sex(f: Facts, p: Policy) -> Outcome:
    sex = _slug(f.sex_assigned_at_birth, "_")
    required = " or ".join(p.sex_assigned_at_birth)
    if sex is None or sex == "unknown":
        return Outcome(UNKNOWN, "Sex assigned at birth not supplied")
    ev = (new_evidence("sex_assigned_at_birth", sex),)
    if sex in p.sex_assigned_at_birth:
        return Outcome(MET, f"Sex assigned at birth {sex}; policy requires {required}", ev)
    if sex in KNOWN_SEXES:
        return Outcome(NOT_MET, f"Sex assigned at birth {sex}; policy requires {required}", ev)
    return Outcome(UNKNOWN, f"Sex assigned at birth {sex!r} is not a recognized value", ev)


def _icd_key(code: str) -> str:
    return code.strip().upper().replace(".", "")


def check_diagnosis(f: Facts, p: Policy) -> Outcome:
    raw = (f.diagnosis_code or "").strip()
    if not raw:
        return Outcome(UNKNOWN, "Diagnosis code not supplied")
    key = _icd_key(raw)
    ev = (new_evidence("diagnosis_code", raw.upper()),)
    accepted = ", ".join(p.diagnosis_codes)
    described = ICD10_DESCRIPTIONS.get(key)
    what = f"{raw.upper()} ({described})" if described else raw.upper()
    if key in {_icd_key(c) for c in p.diagnosis_codes}:
        return Outcome(MET, f"Diagnosis {what}; policy accepts {accepted}", ev)
    return Outcome(NOT_MET, f"Diagnosis {what} is not hemophilia B; policy accepts {accepted}", ev)


def check_fix_activity(f: Facts, p: Policy) -> Outcome:
    value, unit, tested = f.fix_activity_value, f.fix_activity_unit, f.fix_activity_date
    if value is None:
        return Outcome(UNKNOWN, "Factor IX activity not supplied")
    given = f"{fmt_decimal(value)} {unit}" if unit else fmt_decimal(value)
    ev = (new_evidence("fix_activity", given, tested),)
    factor = FIX_UNIT_TO_PERCENT.get((unit or "").strip().lower())
    if factor is None:
        why = "without a unit" if not unit else "in an unrecognized unit"
        return Outcome(
            UNKNOWN,
            f"Factor IX activity {given} given {why}",
            ev,
            "Provide the factor IX activity level with its unit (% or IU/dL) and test date",
        )
    if value < 0:
        return Outcome(UNKNOWN, f"Factor IX activity {given} is negative", ev)
    percent = value * factor
    limit = fmt_decimal(p.fix_max_percent)
    shown = given if factor == 1 else f"{given} = {fmt_decimal(percent)}%"
    if percent <= p.fix_max_percent:
        return Outcome(
            MET, f"Factor IX activity {shown}{_on(tested)}; policy requires ≤ {limit}%", ev
        )
    return Outcome(
        NOT_MET,
        f"Factor IX activity {shown}{_on(tested)} is above the policy's {limit}% maximum",
        ev,
    )


def check_prophylaxis(f: Facts, p: Policy) -> Outcome:
    on = f.on_fix_prophylaxis
    if on is None:
        return Outcome(UNKNOWN, "Whether the member is on factor IX prophylaxis not supplied")
    ev = [_flag("on_fix_prophylaxis", on)]
    if f.prophylaxis_product:
        ev.append(new_evidence("prophylaxis_product", f.prophylaxis_product))
    if on:
        product = f" ({f.prophylaxis_product})" if f.prophylaxis_product else ""
        return Outcome(MET, f"Currently receiving factor IX prophylaxis{product}", tuple(ev))
    return Outcome(NOT_MET, "Not currently receiving factor IX prophylaxis", tuple(ev))


def check_bleeding_history(f: Facts, p: Policy) -> Outcome:
    hemorrhage, repeated = f.life_threatening_hemorrhage, f.repeated_serious_spontaneous_bleeding
    ev = tuple(
        _flag(name, value)
        for name, value in (
            ("life_threatening_hemorrhage", hemorrhage),
            ("repeated_serious_spontaneous_bleeding", repeated),
        )
        if value is not None
    )
    if hemorrhage:
        return Outcome(MET, "Current or historical life-threatening hemorrhage reported", ev)
    if repeated:
        return Outcome(MET, "Repeated, serious spontaneous bleeding episodes reported", ev)
    if hemorrhage is False and repeated is False:
        return Outcome(
            NOT_MET,
            "No life-threatening hemorrhage and no repeated serious spontaneous bleeding",
            ev,
        )
    if hemorrhage is None and repeated is None:
        return Outcome(UNKNOWN, "Bleeding history not supplied", ev)
    if hemorrhage is None:
        return Outcome(
            UNKNOWN,
            "No repeated serious spontaneous bleeding; life-threatening hemorrhage not supplied",
            ev,
            "State whether the member has had a current or historical life-threatening hemorrhage",
        )
    return Outcome(
        UNKNOWN,
        "No life-threatening hemorrhage; repeated serious spontaneous bleeding not supplied",
        ev,
        "State whether the member has repeated, serious spontaneous bleeding episodes",
    )


def _newer(a: date | None, b: date | None) -> bool:
    """Whether a result dated ``a`` should replace one dated ``b``: dated beats undated,
    and among dated results the later one wins."""
    return a is not None and (b is None or a > b)


def _latest_labs(labs: tuple[LabResult, ...]) -> dict[str, LabResult]:
    latest: dict[str, LabResult] = {}
    for lab in labs:
        code = lab.code.strip().upper()
        held = latest.get(code)
        if held is None or _newer(lab.date, held.date):
            latest[code] = lab
    return latest


def _latest_imaging(imaging: tuple[ImagingResult, ...]) -> dict[str, ImagingResult]:
    latest: dict[str, ImagingResult] = {}
    for study in imaging:
        kind = study.kind.strip().lower()
        held = latest.get(kind)
        if held is None or _newer(study.date, held.date):
            latest[kind] = study
    return latest


def _dated(day: date | None) -> str:
    return day.isoformat() if day else "undated"


def check_liver_assessment(f: Facts, p: Policy) -> Outcome:
    """All listed labs and imaging must be on file. The policy sets no recency window,
    so an undated result still counts as performed; the reason flags it as undated."""
    parts: list[str] = []
    missing: list[str] = []
    ev: list[Evidence] = []
    labs = _latest_labs(f.labs)
    for code in p.required_liver_labs:
        lab = labs.get(code)
        name = LAB_NAMES.get(code, code)
        if lab is None:
            missing.append(name)
            continue
        shown = f"{fmt_decimal(lab.value)} {lab.unit}"
        parts.append(f"{name} {shown} ({_dated(lab.date)})")
        ev.append(new_evidence(f"labs.{code}", shown, lab.date, lab.source))
    imaging = _latest_imaging(f.imaging)
    for kind in p.required_imaging:
        study = imaging.get(kind)
        name = IMAGING_NAMES.get(kind, kind)
        if study is None:
            missing.append(name)
            continue
        parts.append(f"{name} ({_dated(study.date)})")
        ev.append(
            new_evidence(f"imaging.{kind}", study.findings or "performed", study.date, study.source)
        )
    if missing:
        return Outcome(
            UNKNOWN,
            f"Liver assessment incomplete; missing: {', '.join(missing)}",
            tuple(ev),
            f"Provide the missing liver health assessment results with dates: {', '.join(missing)}",
        )
    return Outcome(MET, f"Liver assessment on file: {'; '.join(parts)}", tuple(ev))


def check_prescriber(f: Facts, p: Policy) -> Outcome:
    """Met if the prescriber or a recommending specialist qualifies. Not met only when
    both are given and neither qualifies ("none" states that no specialist recommended
    it); with one side still open the line stays unknown, since it could yet qualify."""
    prescriber = _slug(f.prescriber_specialty, "_")
    recommender = _slug(f.recommending_specialist_specialty, "_")
    ok = p.specialist_specialties
    ev = tuple(
        new_evidence(name, value)
        for name, value in (
            ("prescriber_specialty", prescriber),
            ("recommending_specialist_specialty", recommender),
        )
        if value is not None
    )
    # Reasons name specialties in words (criteria/labels.py), never by their codes.
    said, recommended = specialty_label(prescriber), specialty_label(recommender)
    if prescriber in ok:
        return Outcome(MET, f"Prescriber's specialty qualifies: {said}", ev)
    if recommender in ok:
        return Outcome(
            MET,
            f"Recommended by a qualifying specialist: {recommended} "
            f"(prescriber's specialty: {said})",
            ev,
        )
    if prescriber is None and recommender is None:
        return Outcome(UNKNOWN, "Prescriber specialty not supplied", ev)
    if prescriber is None:
        return Outcome(
            UNKNOWN,
            f"Prescriber specialty not supplied; the recommending specialist's specialty "
            f"({recommended}) does not qualify",
            ev,
            "Provide the prescriber's specialty",
        )
    if recommender is None:
        return Outcome(
            UNKNOWN,
            f"Prescriber's specialty ({said}) is not hematology or hemophilia B; "
            "no recommending specialist supplied",
            ev,
            "Provide the specialty of the hematologist or hemophilia B specialist who "
            "recommended Hemgenix, or state that no such specialist recommended it",
        )
    who = (
        "no specialist recommended it"
        if recommender == "none"
        else f"the recommending specialist's ({recommended}) is not"
    )
    accepted = ", ".join(specialty_label(s) for s in ok)
    return Outcome(
        NOT_MET,
        f"Prescriber's specialty ({said}) is not hematology or hemophilia B, and {who} "
        f"(accepted: {accepted})",
        ev,
    )


def _yes_no(f: Facts, field: str, present: str, absent: str, missing: str) -> Outcome:
    """A single yes/no exclusion: True means the excluded condition is present."""
    value: bool | None = getattr(f, field)
    if value is None:
        return Outcome(UNKNOWN, missing)
    ev = (_flag(field, value),)
    return Outcome(NOT_MET, present, ev) if value else Outcome(MET, absent, ev)


def check_inhibitor_history(f: Facts, p: Policy) -> Outcome:
    return _yes_no(
        f,
        "fix_inhibitor_history",
        "History of factor IX inhibitors reported",
        "No history of factor IX inhibitors",
        "History of factor IX inhibitors not supplied",
    )


def check_inhibitor_titer(f: Facts, p: Policy) -> Outcome:
    """Only a Nijmegen-Bethesda result settles the line, either way: the policy names
    that assay, so another assay's titer leaves it unknown and asks for one."""
    titer, tested = f.inhibitor_titer_bu, f.inhibitor_test_date
    if titer is None:
        return Outcome(UNKNOWN, "No factor IX inhibitor screen result supplied")
    assay = _slug(f.inhibitor_assay, "-")
    shown = f"{fmt_decimal(titer)} BU"
    ev = (new_evidence("inhibitor_titer_bu", f"{shown} ({assay_label(assay)})", tested),)
    cutoff = f"{fmt_decimal(p.inhibitor_bu_cutoff)} BU"
    required = " or ".join(assay_label(a) for a in p.inhibitor_assays)
    if assay not in p.inhibitor_assays:
        which = "with no assay stated" if assay is None else f"by the {assay_label(assay)} assay"
        return Outcome(
            UNKNOWN,
            f"Inhibitor screen {shown} {which}; policy requires the {required} assay",
            ev,
            f"Provide a factor IX inhibitor screen result by the {required} assay, "
            "in Bethesda Units, with test date",
        )
    if titer < 0:
        return Outcome(UNKNOWN, f"Inhibitor screen {shown} is negative", ev)
    if titer >= p.inhibitor_bu_cutoff:
        return Outcome(
            NOT_MET,
            f"Inhibitor screen {shown} ({assay_label(assay)}{_on(tested)}) is ≥ {cutoff}",
            ev,
        )
    return Outcome(
        MET, f"Inhibitor screen {shown} ({assay_label(assay)}{_on(tested)}) is below {cutoff}", ev
    )


HIV_READINGS = {
    "negative": (MET, "HIV negative"),
    "positive_controlled": (MET, "HIV positive, controlled with antiviral therapy"),
    "positive_uncontrolled": (NOT_MET, "HIV positive, not controlled with antiviral therapy"),
}


def check_hiv(f: Facts, p: Policy) -> Outcome:
    status = _slug(f.hiv_status, "_")
    if status is None:
        return Outcome(UNKNOWN, "HIV status not supplied")
    ev = (new_evidence("hiv_status", status),)
    reading = HIV_READINGS.get(status)
    if reading is None:
        return Outcome(UNKNOWN, f"HIV status {status!r} is not a recognized value", ev)
    return Outcome(reading[0], reading[1], ev)


# (Facts field, what it is called in a reason, how to ask for it when missing)
Pair = tuple[tuple[str, str, str], tuple[str, str, str]]


def _either(f: Facts, pair: Pair, present: str, absent: str) -> Outcome:
    """Two yes/no facts where either being True means the exclusion is present; it is
    absent only when both are affirmatively False."""
    values = [(field, name, ask, getattr(f, field)) for field, name, ask in pair]
    ev = tuple(_flag(field, v) for field, _, _, v in values if v is not None)
    yes = [name for _, name, _, v in values if v is True]
    if yes:
        return Outcome(NOT_MET, f"{present}: {' and '.join(yes)}", ev)
    missing = [(name, ask) for _, name, ask, v in values if v is None]
    if not missing:
        return Outcome(MET, absent, ev)
    names = " and ".join(name for name, _ in missing)
    asks = "; ".join(ask for _, ask in missing)
    # With both missing the criterion's own ask covers it; with one, ask for that one.
    return Outcome(UNKNOWN, f"Not supplied: {names}", ev, asks if len(missing) == 1 else None)


def check_hepatitis(f: Facts, p: Policy) -> Outcome:
    return _either(
        f,
        (
            (
                "hepatitis_b_active",
                "active hepatitis B",
                "State whether the member has active hepatitis B infection",
            ),
            (
                "hepatitis_c_active",
                "active hepatitis C",
                "State whether the member has active hepatitis C infection",
            ),
        ),
        "Active infection reported",
        "No active hepatitis B or hepatitis C infection",
    )


def check_gene_therapy(f: Facts, p: Policy) -> Outcome:
    return _either(
        f,
        (
            (
                "prior_hemophilia_b_gene_therapy",
                "prior hemophilia B gene therapy",
                "State whether the member has had prior gene therapy for hemophilia B",
            ),
            (
                "other_gene_therapy_under_consideration",
                "another hemophilia B gene therapy under consideration",
                "State whether another gene therapy for hemophilia B is under consideration "
                "for the member",
            ),
        ),
        "Reported",
        "No prior hemophilia B gene therapy and none other under consideration",
    )


def check_lifetime_limit(f: Facts, p: Policy) -> Outcome:
    count, limit = f.active_approvals_on_file, p.lifetime_approvals_limit
    if count is None:
        return Outcome(UNKNOWN, "Number of Hemgenix approvals already on file not supplied")
    ev = (new_evidence("active_approvals_on_file", str(count)),)
    if count < 0:
        return Outcome(UNKNOWN, f"Approvals on file {count} is negative", ev)
    allows = f"policy allows {limit} per lifetime"
    if count >= limit:
        return Outcome(NOT_MET, f"{count} Hemgenix approval(s) already on file; {allows}", ev)
    return Outcome(MET, f"{count} Hemgenix approval(s) already on file; {allows}", ev)
