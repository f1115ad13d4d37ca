"""The JSON Schema and the hand-written reader describe the same documents."""

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from criteria import Facts, ImagingResult, LabResult, facts_to_dict
from criteria import io as facts_io
from tests.criteria import strategies as s
from tests.criteria.test_io import BAD, example

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "criteria" / "schema" / "facts.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]

# Rules that compare fields or convert units: only facts_from_dict can check them.
READER_ONLY = {
    "NaN",
    "FIX over 300% in IU/mL",
    "bilirubin over 100 mg/dL",
    "lab in the future",
    "imaging in the future",
    "FIX test in the future",
    "inhibitor test in the future",
    "born after evaluation",
    "born over 130 years ago",
    "test before birth",
}


def _names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


def _enum(prop: dict[str, Any]) -> list[Any]:
    return [value for value in prop["enum"] if value is not None]


def test_it_names_the_same_properties_as_the_reader_and_the_dataclasses() -> None:
    assert list(SCHEMA["properties"]) == list(facts_io.FACT_FIELDS) == _names(Facts)
    assert list(DEFS["labResult"]["properties"]) == list(facts_io.LAB_FIELDS) == _names(LabResult)
    assert list(DEFS["imagingResult"]["properties"]) == list(facts_io.IMAGING_FIELDS)
    assert list(facts_io.IMAGING_FIELDS) == _names(ImagingResult)
    assert SCHEMA["required"] == ["evaluation_date"]
    for obj in (SCHEMA, DEFS["labResult"], DEFS["imagingResult"]):
        assert obj["additionalProperties"] is False


def test_it_lists_the_same_choices_as_the_reader() -> None:
    props = SCHEMA["properties"]
    lab = DEFS["labResult"]["properties"]
    assert _enum(props["sex_assigned_at_birth"]) == list(facts_io.SEXES)
    assert _enum(props["fix_activity_unit"]) == list(facts_io.FIX_UNITS)
    assert _enum(props["inhibitor_assay"]) == list(facts_io.INHIBITOR_ASSAYS)
    assert _enum(props["hiv_status"]) == list(facts_io.HIV_STATUSES)
    assert _enum(lab["code"]) == list(facts_io.LAB_UNITS)
    assert set(_enum(lab["unit"])) == {u for units in facts_io.LAB_UNITS.values() for u in units}
    assert _enum(DEFS["imagingResult"]["properties"]["kind"]) == list(facts_io.IMAGING_KINDS)


def test_it_describes_every_property() -> None:
    described = [SCHEMA, *DEFS.values()]
    for obj in (SCHEMA, DEFS["labResult"], DEFS["imagingResult"]):
        described += obj["properties"].values()
    missing = [item for item in described if not item.get("description", "").strip()]
    assert missing == []


jsonschema = pytest.importorskip("jsonschema")  # only the tests below need it
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def test_it_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", ["approve", "pend", "deny"])
def test_it_accepts_the_examples_in_both(name: str) -> None:
    document = example(name)
    assert list(VALIDATOR.iter_errors(document)) == []
    facts_io.facts_from_dict(document)


@settings(max_examples=50)
@given(s.facts())
def test_it_accepts_every_document_the_writer_produces(facts: Facts) -> None:
    assert list(VALIDATOR.iter_errors(json.loads(json.dumps(facts_to_dict(facts))))) == []


@pytest.mark.parametrize(
    "document",
    [c[1] for c in BAD if c[0] not in READER_ONLY],
    ids=[c[0] for c in BAD if c[0] not in READER_ONLY],
)
def test_it_rejects_what_the_reader_rejects(document: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(document)) != []


def test_it_knows_which_rules_only_the_reader_checks() -> None:
    assert {c[0] for c in BAD} >= READER_ONLY
