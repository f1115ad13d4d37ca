"""Every answer of the FHIR door in these tests is held to the PAS profiles: a Bundle against
its meta.profile, an $inquire Parameters bundle by bundle (tests/fhir/conformance.py). A test whose
response does not conform fails, whatever it asserts itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from pas.views import FhirView
from tests.fhir.conformance import PAS, checker

INQUIRY_RESPONSE_BUNDLE = f"{PAS}profile-pas-inquiry-response-bundle"
CHECKED: Counter[str] = Counter()


def problems_of(body: Any) -> list[str] | None:
    """The checker's problems with an answer body, or None for a body it does not judge
    (an OperationOutcome, a definition)."""
    if not isinstance(body, dict):
        return None
    if body.get("resourceType") == "Bundle":
        return checker().check(body)
    if body.get("resourceType") == "Parameters":
        return checker().check_parameters(body, INQUIRY_RESPONSE_BUNDLE)
    return None


@pytest.fixture(autouse=True)
def conformant_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Checks each body the FHIR views answer with, as they answer."""
    found: list[str] = []
    finalize = FhirView.finalize_response

    def checked(self: FhirView, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        problems = problems_of(getattr(response, "data", None))
        if problems is not None:
            kind = response.data["resourceType"]
            CHECKED[kind] += 1
            CHECKED[f"{kind} failing"] += bool(problems)
            found.extend(f"{request.path}: {p}" for p in problems)
        return finalize(self, request, response, *args, **kwargs)

    monkeypatch.setattr(FhirView, "finalize_response", checked)
    yield found
    assert not found, "non-conformant FHIR answers:\n" + "\n".join(found[:40])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CHECKED:
        terminalreporter.write_line(
            f"PAS conformance: {CHECKED['Bundle']} response Bundles checked "
            f"({CHECKED['Bundle failing']} failing), {CHECKED['Parameters']} $inquire "
            f"Parameters ({CHECKED['Parameters failing']} failing)"
        )
