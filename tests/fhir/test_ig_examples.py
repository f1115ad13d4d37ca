"""The IG's own request examples sent to this door: each gets a conformant answer (the autouse
check in conftest.py) or one clear OperationOutcome. None of them asks for Hemgenix (J1411), so
$submit refuses each with the reason; the inquiry example is answered with no bundles."""

import copy
import json

import pytest

from accounts.models import User
from reviews.models import Case
from tests.conftest import client_for
from tests.fhir.conformance import official_examples
from tests.fhir.support import answer_bundles, claim_response, outcome_issues, post, review_action

pytestmark = pytest.mark.django_db
EXAMPLES = dict(official_examples())
REQUESTS = sorted(
    name
    for name, body in EXAMPLES.items()
    if body["resourceType"] == "Bundle" and body["entry"][0]["resource"]["resourceType"] == "Claim"
)
INQUIRY = "Bundle-PASClaimInquiryBundleExample.json"


@pytest.mark.parametrize("name", [n for n in REQUESTS if n != INQUIRY])
def test_it_refuses_each_ig_request_example_as_not_hemgenix(riverside: User, name: str) -> None:
    response = post(client_for(riverside), "submit", copy.deepcopy(EXAMPLES[name]))
    assert response.status_code == 422, response.content
    [issue] = outcome_issues(response)
    assert issue["code"] == "invalid" and "J1411" in issue["diagnostics"]
    assert not Case.objects.exists()


def test_it_answers_the_ig_inquiry_example_with_no_bundles(riverside: User) -> None:
    response = post(client_for(riverside), "inquire", copy.deepcopy(EXAMPLES[INQUIRY]))
    assert response.status_code == 200, response.content
    assert answer_bundles(response) == []


def _as_hemgenix(body: dict, npi: str) -> dict:
    """An IG example asking for Hemgenix from this clinic: J1411 on every item, the clinic's
    NPI on the requesting Organization."""
    text = json.dumps(body).replace('"8189991234"', f'"{npi}"')
    body = json.loads(text)
    claim = body["entry"][0]["resource"]
    for item in claim.get("item", []):
        item["productOrService"] = {"coding": [{
            "system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J1411"
        }]}  # fmt: skip
    return body


def test_it_names_what_an_ig_example_turned_hemgenix_lacks(riverside: User) -> None:
    """The referral example asking for J1411 from this clinic: the policy needs the member's
    birth date, which the example's Patient leaves out; the refusal points at it."""
    npi = riverside.organization.npi if riverside.organization else ""
    body = _as_hemgenix(EXAMPLES["Bundle-ReferralAuthorizationBundleExample.json"], npi)
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 422, response.content
    [issue] = outcome_issues(response)
    assert issue["expression"] == ["Bundle.entry[4].resource.birthDate"]


def test_it_answers_that_example_with_a_birth_date_with_a_conformant_pend(
    riverside: User,
) -> None:
    """With the birth date added it is filed and answered A4 (a pharmacist decides), the answer
    conformant (conftest.py) and echoing the example's trace number."""
    npi = riverside.organization.npi if riverside.organization else ""
    body = _as_hemgenix(EXAMPLES["Bundle-ReferralAuthorizationBundleExample.json"], npi)
    body["entry"][4]["resource"]["birthDate"] = "1990-02-03"
    response = post(client_for(riverside), "submit", body)
    assert response.status_code == 200, response.content
    answer = claim_response(response)
    assert review_action(answer) == "A4"
    sent = body["entry"][0]["resource"]["identifier"][0]
    assert answer["identifier"][0] == {"system": sent["system"], "value": sent["value"]}
