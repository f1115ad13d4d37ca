"""Reading a PAS request or inquiry Bundle: parsed by fhir.resources (R4B models), then held to the
PAS shape (a collection whose first entry is a Claim with use = preauthorization), with references
resolved inside the bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claim import Claim
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError
from rest_framework import status

from .outcomes import FhirError, Issue, invalid

R = TypeVar("R", bound=Resource)
MAX_ISSUES = 20


@dataclass
class RequestBundle:
    """A parsed request bundle; ``where(resource)`` gives its FHIRPath for error messages."""

    bundle: Bundle
    claim: Claim
    resources: list[Resource] = field(default_factory=list)
    _by_reference: dict[str, Resource] = field(default_factory=dict)
    _paths: dict[int, str] = field(default_factory=dict)

    def resolve(self, reference: Reference | None) -> Resource | None:
        """The bundle entry a reference points at (by fullUrl or Type/id), if any."""
        if reference is None or not reference.reference:
            return None
        return self._by_reference.get(reference.reference)

    def resolve_as(self, reference: Reference | None, kind: type[R]) -> R | None:
        found = self.resolve(reference)
        return found if isinstance(found, kind) else None

    def all(self, kind: type[R]) -> Iterator[R]:
        return (r for r in self.resources if isinstance(r, kind))

    def where(self, resource: Resource, path: str = "") -> str:
        base = self._paths.get(id(resource), "Bundle")
        return f"{base}.{path}" if path else base


def read_bundle(data: object) -> RequestBundle:
    """A PAS request (or inquiry) bundle from the decoded JSON body, or FhirError."""
    if not isinstance(data, dict):
        raise _bad("The body must be a JSON object: a FHIR Bundle.")
    if data.get("resourceType") != "Bundle":
        found = data.get("resourceType")
        raise _bad(f"Expected a Bundle; got resourceType {found!r}.", "resourceType")
    bundle = _parse(data)
    if bundle.type != "collection":
        raise invalid("A PAS request Bundle has type 'collection'.", "Bundle.type")
    entries = bundle.entry or []
    if not entries or not isinstance(entries[0].resource, Claim):
        raise invalid(
            "The first entry of a PAS request Bundle must be the Claim.", "Bundle.entry[0]"
        )
    claim = entries[0].resource
    if claim.use != "preauthorization":
        raise invalid(
            f"Claim.use must be 'preauthorization'; got {claim.use!r}.",
            "Bundle.entry[0].resource.use",
        )
    return _index(bundle, claim)


def _parse(data: dict[str, Any]) -> Bundle:
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue("structure", error["msg"], _fhirpath(error["loc"]))
            for error in exc.errors()[:MAX_ISSUES]
        ]
        raise FhirError(status.HTTP_400_BAD_REQUEST, issues) from None
    except (KeyError, ValueError, TypeError) as exc:
        # fhir.resources raises KeyError for an unknown resourceType inside an entry.
        raise _bad(f"Not a valid FHIR R4 Bundle: {exc}") from None


def _fhirpath(loc: tuple[int | str, ...]) -> str:
    path = "Bundle"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _bad(diagnostics: str, element: str | None = None) -> FhirError:
    expression = f"Bundle.{element}" if element else None
    return FhirError.one(status.HTTP_400_BAD_REQUEST, "structure", diagnostics, expression)


def _index(bundle: Bundle, claim: Claim) -> RequestBundle:
    parsed = RequestBundle(bundle=bundle, claim=claim)
    full_urls: set[str] = set()
    for index, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        if resource is None:
            raise invalid("Every entry needs a resource.", f"Bundle.entry[{index}]")
        parsed.resources.append(resource)
        parsed._paths[id(resource)] = f"Bundle.entry[{index}].resource"
        if entry.fullUrl:
            if entry.fullUrl in full_urls:  # bdl-7: which entry a reference means is unknown
                raise invalid(
                    f"Two entries have the fullUrl {entry.fullUrl}; each entry needs its own.",
                    f"Bundle.entry[{index}].fullUrl",
                )
            full_urls.add(entry.fullUrl)
            parsed._by_reference[entry.fullUrl] = resource
        if resource.id:
            parsed._by_reference[f"{resource.get_resource_type()}/{resource.id}"] = resource
    return parsed
