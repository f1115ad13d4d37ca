"""A conformance checker for Da Vinci PAS 2.2.1 resources, driven by the IG's own artifacts in
../shared/standards/davinci-pas-2.2.1/resources (StructureDefinitions, ValueSets).

No maintained validator installs here (PyPI has no profile validator for R4 IGs: the packages
named "fhir validator" there check JSON Schema only or wrap the HL7 Java jar, which cannot be
downloaded; Debian has nothing), so this module checks what the IG states, and says what it does
not evaluate:

- FHIR R4 core structure and types: the whole Bundle through fhir.resources' models.
- Every PAS profile in a resource's chain (profile -> baseDefinition ... up to core or US Core):
  the differentials are merged by element id and each element applied to the instance:
  cardinality (min/max, per parent), fixed[x] and pattern[x] values, required bindings against
  the ValueSets present in the IG (X12 value sets, which the IG names but does not publish, are
  checked for their code system only; LOINC attachment codes for their format), allowed types of
  choice elements, type profiles (extensions, PAS Identifier) applied recursively, and
  Reference.targetProfile: the referenced entry of the same Bundle is checked against the
  target profile (any one of several).
- Slices discriminated by value (url, a pattern child, $this) and by resource type.
- The invariants PAS states (ClaimResponseFirst, ClaimFirst, IdentifierUnlessVO, FullDateRule,
  AttachmentNeeded, QuestionnaireContext, self-beneficiary) as Python, and the US Core 7.0.0 rules
  the PAS profiles inherit for Patient (identifier system and value, name, us-core-6, gender from
  AdministrativeGender), Organization (name) and Practitioner (identifier, name), since US Core
  itself is not in shared/.
- Bundle rules: fullUrl present and unique, and a resource's id agrees with its fullUrl
  (urn:uuid:X -> id X; .../Type/id -> that type and id).

Not evaluated (reported in ``Checker.unevaluated``): other FHIRPath invariants, extensible and
preferred bindings, type-discriminated slices of choice elements, value sets outside the IG.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

IG = Path(__file__).resolve().parents[3] / "shared" / "standards" / "davinci-pas-2.2.1"
RESOURCES = IG / "resources"
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
LOINC_ATTACHMENTS = "http://loinc.org/vs/valid-hl7-attachment-requests"
LOINC_CODE = re.compile(r"^\d{1,7}-\d$")
X12_VALUESET = re.compile(r"^https://valueset\.x12\.org/.*/(\d+)$")
GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"

# The US Core 7.0.0 rules the PAS profiles inherit (US Core is not in shared/): as differential
# elements, so the same engine applies them.
US_CORE_RULES: dict[str, list[dict[str, Any]]] = {
    "us-core-patient": [
        {"id": "Patient.identifier", "min": 1},
        {"id": "Patient.identifier.system", "min": 1},
        {"id": "Patient.identifier.value", "min": 1},
        {"id": "Patient.name", "min": 1},
        {"id": "Patient.name", "constraint": [{"key": "us-core-6"}]},
        {
            "id": "Patient.gender",
            "min": 1,
            "binding": {"strength": "required", "valueSet": GENDER_VS},
        },
    ],
    "us-core-organization": [{"id": "Organization.name", "min": 1}],
    "us-core-practitioner": [
        {"id": "Practitioner.identifier", "min": 1},
        {"id": "Practitioner.identifier.system", "min": 1},
        {"id": "Practitioner.identifier.value", "min": 1},
        {"id": "Practitioner.name", "min": 1},
    ],
}
Codes = set[tuple[str | None, str | None]]
INLINE_VALUESETS: dict[str, Codes] = {
    GENDER_VS: {(None, c) for c in ("male", "female", "other", "unknown")}
}
HANDLED_INVARIANTS = {
    "ClaimResponseFirst",
    "ClaimFirst",
    "IdentifierUnlessVO",
    "FullDateRule",
    "AttachmentNeeded",
    "QuestionnaireContext",
    "self-beneficiary",
    "us-core-6",
}


@dataclass
class Node:
    path: str
    value: Any
    type: str | None = None  # the type of a choice element's value ("valueString" -> "string")


@dataclass
class Checker:
    """``check(bundle)`` -> a list of problems, each "path: message"; empty when conformant."""

    structure_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    value_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    unevaluated: set[str] = field(default_factory=set)
    _merged: dict[str, tuple[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path in sorted(RESOURCES.glob("*.json")):
            resource = json.loads(path.read_text(encoding="utf-8"))
            if resource["resourceType"] == "StructureDefinition":
                self.structure_definitions[resource["url"]] = resource
            elif resource["resourceType"] == "ValueSet":
                self.value_sets[resource["url"]] = resource

    # --- entry points -------------------------------------------------------------------
    def check(self, bundle: dict[str, Any], profile: str | None = None) -> list[str]:
        """The problems of a Bundle against its profile (given, else its meta.profile) and of
        every entry against the profiles its slice, its meta.profile and references ask."""
        run = _Run(self, bundle)
        try:
            Bundle.model_validate(copy.deepcopy(bundle))
        except ValidationError as exc:
            for error in exc.errors()[:20]:
                run.problem("Bundle." + ".".join(map(str, error["loc"])), f"R4: {error['msg']}")
        run.bundle_rules()
        profiles = [profile] if profile else bundle.get("meta", {}).get("profile", [])
        for url in profiles:
            run.conform(Node("Bundle", bundle), url)
        for index, entry in enumerate(bundle.get("entry", [])):
            resource = entry.get("resource") or {}
            for url in resource.get("meta", {}).get("profile", []):
                if _bare(url) in self.structure_definitions:
                    run.conform(Node(f"Bundle.entry[{index}].resource", resource), _bare(url))
        run.drain()
        return run.problems

    def check_parameters(self, parameters: dict[str, Any], profile: str) -> list[str]:
        """Each Bundle of an $inquire answer (a Parameters) against the inquiry response."""
        problems = []
        if parameters.get("resourceType") != "Parameters":
            return [f"expected Parameters, got {parameters.get('resourceType')}"]
        for index, parameter in enumerate(parameters.get("parameter", [])):
            resource = parameter.get("resource")
            if resource is None or resource.get("resourceType") != "Bundle":
                problems.append(f"Parameters.parameter[{index}]: not a Bundle")
                continue
            problems += [f"parameter[{index}] {p}" for p in self.check(resource, profile)]
        return problems

    # --- the profiles -------------------------------------------------------------------
    def merged(self, url: str) -> tuple[str, dict[str, dict[str, Any]]]:
        """(resource type, elements by id) of a profile: its PAS chain's differentials merged
        from the base down, with the US Core rules of a US Core base."""
        if url not in self._merged:
            self._merged[url] = self._merge(url)
        return self._merged[url]

    def _merge(self, url: str) -> tuple[str, dict[str, dict[str, Any]]]:
        chain: list[dict[str, Any]] = []
        sd: dict[str, Any] | None = self.structure_definitions[url]
        extra: list[dict[str, Any]] = []
        while sd is not None:
            chain.insert(0, sd)
            base = _bare(sd.get("baseDefinition", ""))
            if base.startswith(US_CORE):
                extra = US_CORE_RULES.get(base.removeprefix(US_CORE), [])
                if not extra:
                    self.unevaluated.add(f"base profile {base}")
            sd = self.structure_definitions.get(base)
        elements: dict[str, dict[str, Any]] = {}
        for element in extra + [e for s in chain for e in s["differential"]["element"]]:
            old = elements.get(element["id"], {})
            merged = {**old, **element}
            if "constraint" in old and "constraint" in element:
                merged["constraint"] = old["constraint"] + element["constraint"]
            elements[element["id"]] = merged
        return chain[-1]["type"], elements

    def codes(self, url: str) -> set[tuple[str | None, str | None]] | None:
        """(system, code) pairs of a local ValueSet; (system, None) admits a whole system."""
        if url in INLINE_VALUESETS:
            return INLINE_VALUESETS[url]
        vs = self.value_sets.get(url)
        if vs is None:
            return None
        found: set[tuple[str | None, str | None]] = set()
        for include in vs.get("compose", {}).get("include", []):
            system = include.get("system")
            if "concept" in include:
                found |= {(system, c["code"]) for c in include["concept"]}
            elif system:
                found.add((system, None))
            for other in include.get("valueSet", []):
                found |= self.codes(_bare(other)) or set()
        return found


class _Run:
    """One check of one Bundle: the problems found and the (resource, profile) pairs to do."""

    def __init__(self, checker: Checker, bundle: dict[str, Any]) -> None:
        self.checker = checker
        self.bundle = bundle
        self.problems: list[str] = []
        self.done: set[tuple[int, str]] = set()
        self.todo: list[tuple[Node, list[str]]] = []
        self.index: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, entry in enumerate(bundle.get("entry", [])):
            resource = entry.get("resource") or {}
            if entry.get("fullUrl"):
                self.index[entry["fullUrl"]] = (i, resource)
            if resource.get("id"):
                self.index[f"{resource.get('resourceType')}/{resource['id']}"] = (i, resource)

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def bundle_rules(self) -> None:
        seen: set[str] = set()
        for i, entry in enumerate(self.bundle.get("entry", [])):
            url, resource = entry.get("fullUrl"), entry.get("resource") or {}
            where = f"Bundle.entry[{i}]"
            if url in seen:
                self.problem(where, f"fullUrl {url} is not unique (bdl-7)")
            if url:
                seen.add(url)
                rid = resource.get("id")
                if url.startswith("urn:uuid:") and rid and rid != url.removeprefix("urn:uuid:"):
                    self.problem(where, f"resource id {rid} disagrees with fullUrl {url}")
                elif (
                    url.startswith("http")
                    and rid
                    and not url.endswith(f"/{resource.get('resourceType')}/{rid}")
                ):
                    self.problem(where, f"resource {resource.get('resourceType')}/{rid} "
                                 f"disagrees with fullUrl {url}")  # fmt: skip

    def drain(self) -> None:
        while self.todo:
            node, profiles = self.todo.pop()
            if len(profiles) == 1:
                self.conform(node, profiles[0])
                continue
            # Any one of several target profiles will do.
            results = []
            for url in profiles:
                sub = _Run(self.checker, self.bundle)
                sub.conform(node, url)
                sub.drain()
                results.append(sub.problems)
            if all(results):
                self.problems += [f"(none of {profiles}) {p}" for p in results[0]]

    # --- a node against a profile ---------------------------------------------------------
    def conform(self, node: Node, url: str) -> None:
        url = _bare(url)
        key = (id(node.value), url)
        if key in self.done:
            return
        self.done.add(key)
        if url not in self.checker.structure_definitions:
            if url.startswith(PAS):
                self.problem(node.path, f"unknown PAS profile {url}")
            else:
                self.checker.unevaluated.add(f"profile {url}")
            return
        kind, elements = self.checker.merged(url)
        found = node.value.get("resourceType") if isinstance(node.value, dict) else None
        if found is not None and found != kind:
            self.problem(node.path, f"is a {found}, {url} wants {kind}")
            return
        for element in elements.values():
            self.element(node, element, elements)

    def element(self, root: Node, element: dict[str, Any], elements: dict[str, Any]) -> None:
        segments = element["id"].split(".")
        if len(segments) == 1:
            for constraint in element.get("constraint", []):
                self.invariant(root, constraint)
            return
        parents = [root]
        for depth, segment in enumerate(segments[1:-1], start=1):
            sliced_id = ".".join(segments[: depth + 1])
            parents = [
                child
                for parent in parents
                for child in self.children(parent, segment, sliced_id, elements)
            ]
        for parent in parents:
            children = self.children(parent, segments[-1], element["id"], elements)
            low, high = element.get("min"), element.get("max")
            if low is not None and len(children) < low:
                self.problem(f"{parent.path}.{segments[-1]}", f"min {low}, found {len(children)}")
            if high not in (None, "*") and len(children) > int(high):
                self.problem(f"{parent.path}.{segments[-1]}", f"max {high}, found {len(children)}")
            for child in children:
                self.value(child, element)

    def children(
        self, parent: Node, segment: str, element_id: str, elements: dict[str, Any]
    ) -> list[Node]:
        name, _, slice_name = segment.partition(":")
        value = parent.value
        if not isinstance(value, dict):
            return []
        found: list[Node] = []
        if name.endswith("[x]"):
            stem = name[:-3]
            for key, item in value.items():
                if key.startswith(stem) and key[len(stem) : len(stem) + 1].isupper():
                    kind = _type_name(key[len(stem) :])
                    found += [Node(f"{parent.path}.{key}", v, kind) for v in _as_list(item)]
        else:
            items = value.get(name)
            found = [
                Node(f"{parent.path}.{name}" + (f"[{i}]" if isinstance(items, list) else ""), v)
                for i, v in enumerate(_as_list(items))
            ]
        if not slice_name:
            return found
        return [n for n in found if self.in_slice(n, element_id, elements)]

    def in_slice(self, node: Node, slice_id: str, elements: dict[str, Any]) -> bool:
        slicing_id = slice_id.rsplit(":", 1)[0]
        slicing = elements.get(slicing_id, {}).get("slicing")
        discriminators = slicing["discriminator"] if slicing else [{"type": "value", "path": "url"}]
        for discriminator in discriminators:
            kind, path = discriminator["type"], discriminator["path"]
            if kind == "value" and path == "url":
                element = elements.get(slice_id, {})
                profiles = [p for t in element.get("type", []) for p in t.get("profile", [])]
                expected = (
                    profiles[0] if profiles else elements.get(f"{slice_id}.url", {}).get("fixedUri")
                )
                if not isinstance(node.value, dict) or node.value.get("url") != expected:
                    return False
            elif kind == "type" and path == "resource":
                types = elements.get(f"{slice_id}.resource", {}).get("type", [])
                wanted = {t["code"] for t in types}
                if (node.value.get("resource") or {}).get("resourceType") not in wanted:
                    return False
            elif kind == "value":
                target = elements.get(slice_id if path == "$this" else f"{slice_id}.{path}", {})
                pattern = _pattern(target)
                if pattern is None:
                    self.checker.unevaluated.add(f"slice {slice_id}")
                    return False
                actual = node.value if path == "$this" else node.value.get(path)
                if not _matches(actual, pattern):
                    return False
            else:
                self.checker.unevaluated.add(f"slice {slice_id} ({kind} {path})")
                return False
        return True

    def value(self, node: Node, element: dict[str, Any]) -> None:
        for key, expected in element.items():
            if key.startswith("fixed") and node.value != expected:
                self.problem(node.path, f"must be {expected!r}, is {node.value!r}")
            if key.startswith("pattern") and not _matches(node.value, expected):
                self.problem(node.path, f"must match {expected!r}, is {node.value!r}")
        types = element.get("type", [])
        if node.type is not None and types and node.type not in {t["code"] for t in types}:
            self.problem(node.path, f"type {node.type} not allowed: {[t['code'] for t in types]}")
        binding = element.get("binding", {})
        if binding.get("strength") == "required":
            self.binding(node, _bare(binding["valueSet"]))
        for constraint in element.get("constraint", []):
            self.invariant(node, constraint)
        for type_ in types:
            if node.type is not None and type_["code"] != node.type:
                continue
            profiles = [_bare(p) for p in type_.get("profile", [])]
            if len(profiles) == 1:
                self.conform(node, profiles[0])
            elif profiles:
                self.todo.append((node, profiles))
            targets = [_bare(p) for p in type_.get("targetProfile", [])]
            if targets and isinstance(node.value, dict):
                self.target(node, targets)

    def target(self, node: Node, targets: list[str]) -> None:
        reference = node.value.get("reference")
        found = self.index.get(reference) if reference else None
        if found is None:
            return  # not in this Bundle (an identifier-only or outside reference)
        index, resource = found
        self.todo.append((Node(f"Bundle.entry[{index}].resource", resource), targets))

    def binding(self, node: Node, url: str) -> None:
        codings = _codings(node.value)
        if not codings:
            return
        allowed = self.checker.codes(url)
        if allowed is not None:
            ok = any(
                (system, code) in allowed
                or (system, None) in allowed
                or (system is None and any(c == code for _, c in allowed))
                for system, code in codings
            )
            if not ok:
                self.problem(node.path, f"no code from required ValueSet {url}: {codings}")
            return
        if url == LOINC_ATTACHMENTS:
            if not any(LOINC_CODE.match(code or "") and system in (None, "http://loinc.org")
                       for system, code in codings):  # fmt: skip
                self.problem(node.path, f"not a LOINC attachment code: {codings}")
            return
        if match := X12_VALUESET.match(url):
            # The X12 code lists are not published: an X12 code must come from the list the
            # value set names; a code of another system cannot be judged here.
            system = f"https://codesystem.x12.org/005010/{match.group(1)}"
            x12 = [s for s, _ in codings if s and s.startswith("https://codesystem.x12.org/")]
            if x12 and system not in x12:
                self.problem(node.path, f"no code of {system} (required {url}): {codings}")
            if not x12:
                self.checker.unevaluated.add(f"required binding {url} (non-X12 codes)")
            return
        self.checker.unevaluated.add(f"required binding {url}")

    def invariant(self, node: Node, constraint: dict[str, Any]) -> None:
        key, value = constraint["key"], node.value
        if key not in HANDLED_INVARIANTS:
            self.checker.unevaluated.add(f"invariant {key}")
            return
        ok = True
        if key in ("ClaimResponseFirst", "ClaimFirst"):
            entries = value.get("entry") or [{}]
            wanted = "ClaimResponse" if key == "ClaimResponseFirst" else "Claim"
            ok = (entries[0].get("resource") or {}).get("resourceType") == wanted
        elif key == "IdentifierUnlessVO":
            voice = any(c.get("code") == "VO" for m in _as_list(value.get("medium"))
                        for c in m.get("coding", []))  # fmt: skip
            ok = voice or bool(value.get("identifier"))
        elif key == "FullDateRule":
            ok = isinstance(value, str) and len(value) == 10
        elif key in ("AttachmentNeeded", "QuestionnaireContext"):
            task_code, input_code = {
                "AttachmentNeeded": ("attachment-request-code", "attachments-needed"),
                "QuestionnaireContext": ("attachment-request-questionnaire", "questionnaire-context"),
            }[key]  # fmt: skip
            asked = task_code in _codes_of(value.get("code"))
            inputs = {c for i in value.get("input", []) for c in _codes_of(i.get("type"))}
            ok = not asked or input_code in inputs
        elif key == "self-beneficiary":
            rel = {c for r in _as_list(value.get("relationship")) for c in _codes_of(r)}
            ok = "18" in rel or "subscriber" in value
        elif key == "us-core-6":
            has = bool(value.get("family") or value.get("given"))
            absent = any(
                "data-absent-reason" in e.get("url", "") for e in value.get("extension", [])
            )
            ok = has != absent
        if not ok:
            self.problem(node.path, f"invariant {key} fails: {constraint.get('human', key)}")


PRIMITIVES = {
    "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
    "instant", "integer", "markdown", "oid", "positiveInt", "string", "time", "unsignedInt",
    "uri", "url", "uuid",
}  # fmt: skip


def _type_name(suffix: str) -> str:
    """The FHIR type of a choice element's key suffix: "String" -> "string", "Period" stays."""
    lowered = suffix[0].lower() + suffix[1:]
    return lowered if lowered in PRIMITIVES else suffix


def _bare(url: str) -> str:
    return url.split("|", 1)[0]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _pattern(element: dict[str, Any]) -> Any:
    for key, value in element.items():
        if key.startswith(("pattern", "fixed")):
            return value
    return None


def _matches(actual: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(actual, dict) and all(
            _matches(actual.get(k), v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        items = _as_list(actual)
        return all(any(_matches(a, p) for a in items) for p in pattern)
    return bool(actual == pattern)


def _codings(value: Any) -> list[tuple[str | None, str | None]]:
    if isinstance(value, str):
        return [(None, value)]
    if not isinstance(value, dict):
        return []
    if "coding" in value:
        return [(c.get("system"), c.get("code")) for c in value["coding"]]
    if "code" in value:
        return [(value.get("system"), value.get("code"))]
    return []


def _codes_of(concept: Any) -> set[str]:
    return {c.get("code") for c in (concept or {}).get("coding", [])}


@cache
def checker() -> Checker:
    return Checker()


def official_examples() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every example Bundle and Parameters in the IG's resources, by file name."""
    for path in sorted(RESOURCES.glob("*.json")):
        if path.name.startswith(("Bundle-", "Parameters-")):
            yield path.name, json.loads(path.read_text(encoding="utf-8"))
