import threading
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from reviews.models import Case, Patient
from tests.conftest import client_for
from tests.fhir.support import claim_response, example, post


@pytest.mark.django_db(transaction=True)
def test_twin_bundles_sent_at_once_make_one_case(riverside: User) -> None:
    """An EHR that retries before the first answer arrives still gets one case: the unique
    idempotency key settles the race and the loser answers with the winner's case."""
    clients = [client_for(riverside) for _ in range(4)]
    start = threading.Barrier(len(clients))
    answers: list[Any] = []

    def send(client: Any) -> None:
        try:
            start.wait()
            answers.append(post(client, "submit", example("approve")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [response.status_code for response in answers] == [200] * len(clients)
    refs = {claim_response(response)["preAuthRef"] for response in answers}
    assert refs == {Case.objects.get().reference}
    assert Patient.objects.count() == 1
