from typing import Any

import pytest

from accounts.models import User
from reviews import services
from reviews.models import Case, Patient
from tests.conftest import client_for
from tests.fhir.support import claim_response, claim_update, example, post
from tests.threads import race


def send_at_once(user: User, body: dict[str, Any], times: int = 4) -> list[Any]:
    clients = [client_for(user) for _ in range(times)]
    return race(*(lambda client=client: post(client, "submit", body) for client in clients))


@pytest.mark.django_db(transaction=True)
def test_twin_bundles_sent_at_once_make_one_case(riverside: User) -> None:
    """An EHR that retries before the first answer arrives still gets one case: the unique
    idempotency key settles the race and the loser answers with the winner's case."""
    answers = send_at_once(riverside, example("approve"))

    assert [response.status_code for response in answers] == [200] * 4
    refs = {claim_response(response)["preAuthRef"] for response in answers}
    assert refs == {Case.objects.get().reference}
    assert Patient.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twin_claim_updates_sent_at_once_answer_once(riverside: User, pharmacist: User) -> None:
    """The case's row lock orders twin updates; the losers find the winner's answer."""
    submitted = post(client_for(riverside), "submit", example("pend"))
    case = Case.objects.get(reference=claim_response(submitted)["preAuthRef"])
    services.case_claim(actor=pharmacist, case=case)
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology"])

    answers = send_at_once(riverside, claim_update("RHA-2026-0003", "RHA-2026-0003-U1"))

    assert [response.status_code for response in answers] == [200] * 4
    assert {claim_response(response)["preAuthRef"] for response in answers} == {case.reference}
    assert case.events.filter(action="answer_rfi").count() == 1
