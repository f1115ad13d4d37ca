import threading
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from reviews import services
from reviews.models import Case, IntakeKey, Patient
from tests.factories import approvable_facts, make_patient
from tests.threads import race, wait_for_lock_wait

from .conftest import api_for, new_request


def test_it_answers_a_retried_submit_with_the_first_case(riverside: User) -> None:
    client = api_for(riverside)
    first = client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["reference"] == first.json()["reference"]
    assert Case.objects.count() == 1


def test_it_makes_a_new_case_for_a_new_key_or_no_key(riverside: User) -> None:
    client = api_for(riverside)
    client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    client.post("/api/cases/", new_request(), format="json")
    client.post("/api/cases/", new_request(), format="json")
    assert Case.objects.count() == 4


def test_it_scopes_keys_to_the_clinic(riverside: User, lakeside: User) -> None:
    mine = api_for(riverside).post(
        "/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    theirs = api_for(lakeside).post(
        "/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Case.objects.get(pk=theirs.json()["id"]).organization == lakeside.organization


def test_it_refuses_an_unusable_key(riverside: User) -> None:
    response = api_for(riverside).post(
        "/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="has spaces in it"
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Case.objects.exists()


def test_it_leaves_nothing_of_a_refused_keyed_request(riverside: User) -> None:
    client = api_for(riverside)
    bad = new_request(facts={"hiv_status": "unsure"})
    assert (
        client.post("/api/cases/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    )
    good = client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_it_loses_a_race_gracefully_to_an_uncommitted_twin(riverside: User) -> None:
    """The second request looks for the key while the first has inserted but not committed, so
    only the unique key can stop it; it must answer with the first request's case."""
    patient = make_patient(riverside)
    key = services.ClientKey(IntakeKey.Door.API, "race")
    request = services.RequestIn(facts=approvable_facts())
    first_inserted = threading.Event()

    def file() -> services.Filed:
        return services.intake_file(
            actor=riverside, patient=patient, request=request, client_key=key
        )

    def first() -> services.Filed:
        with transaction.atomic():  # held open until the second waits on the unique key
            filed = file()
            first_inserted.set()
            wait_for_lock_wait()
        return filed

    def second() -> services.Filed:
        first_inserted.wait(10)
        return file()

    first_filed, second_filed = race(first, second)
    assert (first_filed.created, second_filed.created) == (True, False)
    assert first_filed.case.pk == second_filed.case.pk
    assert Case.objects.count() == 1 and IntakeKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_case_of_two_identical_requests_at_once(riverside: User) -> None:
    client_a, client_b = api_for(riverside), api_for(riverside)

    def post(client: Any) -> Any:
        return client.post("/api/cases/", new_request(), format="json", HTTP_IDEMPOTENCY_KEY="twin")

    responses = race(lambda: post(client_a), lambda: post(client_b))
    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Case.objects.count() == 1
    assert Patient.objects.count() == 1
