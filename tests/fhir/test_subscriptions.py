"""R4 Subscriptions (backport) on the PAS topic, against a real HTTP receiver on 127.0.0.1 and the
real Celery worker: the handshake, notifications through the outbox, retries, audit rows, and the
whole cycle the issue asks for: $submit -> pend -> notification -> Claim update -> decision ->
notification -> $inquire."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from pas import codes
from pas.models import Subscription
from pas.subscriptions import PAS_TOPIC, PAYLOAD_CONTENT, DeliveryFailed
from pas.subscriptions import post as deliver
from reviews import services
from reviews.models import Case, Status
from tests.conftest import client_for
from tests.fhir.conformance import checker
from tests.fhir.support import (
    FHIR_JSON,
    claim_response,
    claim_update,
    example,
    inquiry,
    outcome_issues,
    post,
    review_action,
    token_client,
)


class Receiver:
    """An EHR's rest-hook endpoint: records each POST; answers 500 to the first ``failures``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(500)
                else:
                    receiver.received.append((dict(self.headers), body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pas-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [body for _, body in self.received if _type(body) == kind]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _type(notification: dict[str, Any]) -> str:
    parameters = notification["entry"][0]["resource"]["parameter"]
    return str(next(p["valueCode"] for p in parameters if p["name"] == "type"))


@pytest.fixture(autouse=True)
def loopback_endpoints(settings: Any) -> None:
    """The receiver listens on 127.0.0.1 over plain http: allowed here as in development."""
    settings.PAS_SUBSCRIPTION_ALLOW_LOOPBACK = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def until(condition: Callable[[], Any], timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def subscription_body(endpoint: str, content: str = "full-resource") -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Riverside EHR: PAS decisions",
        "criteria": PAS_TOPIC,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": content}]},
            "header": ["Authorization: Bearer riverside-ehr-secret"],
        },
    }


def subscribe(user: User, receiver: Receiver, content: str = "full-resource") -> Subscription:
    response = post_subscription(user, subscription_body(receiver.url, content))
    assert response.status_code == 201, response.content
    created = json.loads(response.content)
    assert created["status"] == "requested"
    assert response["Location"].endswith(f"/fhir/Subscription/{created['id']}")
    until(lambda: receiver.of_type("handshake"))
    subscription = Subscription.objects.get(pk=created["id"])
    until(lambda: Subscription.objects.get(pk=subscription.pk).status == "active")
    return subscription


def post_subscription(user: User, body: Any) -> Any:
    return token_client(user).post(
        reverse("fhir:subscriptions"), data=json.dumps(body), content_type=FHIR_JSON
    )


def event_numbers(receiver: Receiver) -> list[str]:
    numbers = []
    for body in receiver.of_type("event-notification"):
        parameters = body["entry"][0]["resource"]["parameter"]
        event = next(p for p in parameters if p["name"] == "notification-event")
        numbers.append(next(p["valueString"] for p in event["part"] if p["name"] == "event-number"))
    return numbers


def included_response(notification: dict[str, Any]) -> dict[str, Any]:
    """The PAS response Bundle a full-resource notification carries, checked against the IG."""
    [entry] = notification["entry"][1:]
    bundle = entry["resource"]
    assert checker().check(bundle) == []
    return dict(bundle)


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_whole_cycle_with_notifications(
    celery_worker_process: Any, receiver: Receiver, riverside: User, pharmacist: User
) -> None:
    subscription = subscribe(riverside, receiver)
    [(headers, handshake)] = receiver.received
    assert headers["Authorization"] == "Bearer riverside-ehr-secret"
    assert handshake["type"] == "history"

    # $submit: pended (A4) while a pharmacist decides
    answer = claim_response(post(client_for(riverside), "submit", example("pend")))
    assert review_action(answer) == codes.PENDED
    case = Case.objects.get(reference=answer["preAuthRef"])

    # the reviewer asks for information: notification 1, the pend and its attachment requests
    services.case_claim(actor=pharmacist, case=case)
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology"], message="Send it.")
    first = until(lambda: receiver.of_type("event-notification"))[0]
    pended = included_response(first)["entry"][0]["resource"]
    assert review_action(pended) == codes.PENDED
    assert pended["preAuthRef"] == case.reference and pended["communicationRequest"]

    # the EHR answers with a Claim update carrying what was asked
    update = post(client_for(riverside), "submit", claim_update("RHA-2026-0003", "RHA-U1"))
    assert update.status_code == 200, update.content
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW

    # the decision: notification 2, the approval itself
    services.case_approve(actor=pharmacist, case=case, reason="Meets every criterion")
    until(lambda: len(receiver.of_type("event-notification")) == 2)
    assert event_numbers(receiver) == ["1", "2"]
    approval = included_response(receiver.of_type("event-notification")[1])
    assert review_action(approval["entry"][0]["resource"]) == codes.CERTIFIED

    # $inquire gives the same approval
    body = inquiry(claim_identifier="RHA-2026-0003", member_id=case.member_id)
    assert review_action(claim_response(post(client_for(riverside), "inquire", body))) == "A1"

    rows = AuditLog.objects.filter(action="fhir.subscription.notify").order_by("id")
    assert [(r.case_id, r.detail["event"], r.detail["status"]) for r in rows] == [
        (case.pk, 1, 200),
        (case.pk, 2, 200),
    ]
    assert Subscription.objects.get(pk=subscription.pk).events == 2


@pytest.mark.django_db(transaction=True)
def test_it_retries_an_endpoint_that_fails_and_audits_each_attempt(
    celery_worker_process: Any, receiver: Receiver, riverside: User, pharmacist: User
) -> None:
    subscribe(riverside, receiver, content="id-only")
    case = Case.objects.get(
        reference=claim_response(post(client_for(riverside), "submit", example("approve")))[
            "preAuthRef"
        ]
    )
    receiver.failures = 2
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case)
    [notification] = until(lambda: receiver.of_type("event-notification"), timeout=60)
    assert len(notification["entry"]) == 1  # id-only: the status Parameters alone
    parameters = notification["entry"][0]["resource"]["parameter"]
    event = next(p for p in parameters if p["name"] == "notification-event")
    focus = next(p["valueReference"] for p in event["part"] if p["name"] == "focus")
    assert focus["identifier"] == {"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference}
    rows = until(
        lambda: (
            list(AuditLog.objects.filter(action="fhir.subscription.notify", detail__status=200))
            and list(AuditLog.objects.filter(action="fhir.subscription.notify").order_by("id"))
        )
    )
    assert [(r.detail["attempt"], r.detail.get("error")) for r in rows] == [
        (1, "HTTP 500"),
        (2, "HTTP 500"),
        (3, None),
    ]


@pytest.mark.django_db(transaction=True)
def test_it_notifies_nobody_once_a_subscription_is_deleted(
    celery_worker_process: Any, receiver: Receiver, riverside: User, pharmacist: User
) -> None:
    subscription = subscribe(riverside, receiver, content="id-only")
    url = reverse("fhir:subscription", kwargs={"subscription_id": str(subscription.pk)})
    assert token_client(riverside).delete(url).status_code == 204
    assert json.loads(token_client(riverside).get(url).content)["status"] == "off"
    case = Case.objects.get(
        reference=claim_response(post(client_for(riverside), "submit", example("approve")))[
            "preAuthRef"
        ]
    )
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case)
    time.sleep(1)
    assert receiver.of_type("event-notification") == []
    assert Subscription.objects.get(pk=subscription.pk).events == 0


@pytest.mark.django_db
def test_it_keeps_each_clinics_subscriptions_to_itself(riverside: User, lakeside: User) -> None:
    response = post_subscription(riverside, subscription_body("https://ehr.example.org/hook"))
    subscription_id = json.loads(response.content)["id"]
    url = reverse("fhir:subscription", kwargs={"subscription_id": subscription_id})
    assert token_client(lakeside).get(url).status_code == 404
    assert token_client(lakeside).delete(url).status_code == 404
    assert token_client(riverside).get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expression"),
    [
        (lambda b: b["channel"].update(endpoint="http://ehr.example.org/hook"), "endpoint"),
        (lambda b: b["channel"].update(endpoint="https://10.1.2.3/hook"), "endpoint"),
        (lambda b: b["channel"].update(endpoint="https://169.254.169.254/"), "endpoint"),
        (lambda b: b["channel"].update(endpoint="https://localhost/hook"), "endpoint"),
        (lambda b: b["channel"].update(endpoint="ftp://127.0.0.1/hook"), "endpoint"),
        (lambda b: b.update(criteria="http://example.org/other-topic"), "criteria"),
        (lambda b: b["channel"].update(type="websocket"), "channel.type"),
        (lambda b: b["channel"]["_payload"]["extension"][0].update(valueCode="empty"), "payload"),
        (lambda b: b["channel"].update(header=["no colon"]), "channel"),
    ],
)
def test_it_refuses_a_subscription_it_cannot_honour(
    riverside: User, change: Callable[[dict[str, Any]], None], expression: str
) -> None:
    body = subscription_body("http://127.0.0.1:9/hook")
    change(body)
    response = post_subscription(riverside, body)
    assert response.status_code in (400, 422), response.content
    [issue] = outcome_issues(response)
    assert expression in issue["expression"][0]
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_it_takes_no_loopback_endpoint_unless_configured(riverside: User, settings: Any) -> None:
    settings.PAS_SUBSCRIPTION_ALLOW_LOOPBACK = False
    response = post_subscription(riverside, subscription_body("http://127.0.0.1:9/hook"))
    assert response.status_code == 422, response.content
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_it_sends_nothing_to_a_name_that_resolves_inside(riverside: User) -> None:
    """An https endpoint whose host (now) resolves to an internal address gets nothing, whatever
    was checked at creation."""
    for endpoint in ("https://localhost/hook", "https://127.0.0.1:8443/hook"):
        subscription = Subscription(endpoint=endpoint, headers=[])
        with pytest.raises(DeliveryFailed, match="internal address"):
            deliver(subscription, {"resourceType": "Bundle"})


@pytest.mark.django_db
def test_only_clinic_staff_subscribe(pharmacist: User) -> None:
    response = post_subscription(pharmacist, subscription_body("https://ehr.example.org/hook"))
    assert response.status_code == 403
