"""R4 Subscriptions (the subscriptions backport) on the PAS topic: a clinic system subscribes
with a rest-hook endpoint; the server confirms it with a handshake, then POSTs a notification
Bundle each time a request of the clinic is pended for information or decided.

Everything leaves through reviews' transactional outbox: the handshake is queued in the
transaction that creates the Subscription, each notification in the transaction of the decision
itself (a post_save receiver on CaseEvent, connected in PasConfig.ready), so a rolled-back
decision notifies nobody and a Redis outage only delays. The Celery tasks (pas/tasks.py) POST,
retry with backoff, and leave an audit row for every attempt.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from accounts.models import User
from reviews import outbox
from reviews.models import Case, CaseEvent, Status

from . import codes
from .models import Subscription
from .outcomes import FhirError, invalid
from .responses import Answering, original_trace, response_bundle

PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
PAYLOAD_CONTENT = f"{BACKPORT}/backport-payload-content"
SUBSCRIPTION_PROFILE = f"{BACKPORT}/backport-subscription"
STATUS_PROFILE = f"{BACKPORT}/backport-subscription-status-r4"
NOTIFICATION_PROFILE = f"{BACKPORT}/backport-subscription-notification-r4"
NOTIFY_STATUSES = {Status.PENDED, Status.APPROVED, Status.DENIED, Status.WITHDRAWN}
TIMEOUT_SECONDS = 10
MAX_HEADERS = 5


# --- the Subscription resource ---------------------------------------------------------------
def create(actor: User, body: object) -> Subscription:
    """A Subscription of the caller's clinic from a backport Subscription resource; its
    handshake is queued in the same transaction."""
    if not isinstance(body, dict) or body.get("resourceType") != "Subscription":
        raise invalid("Expected a Subscription resource.", "Subscription")
    if body.get("criteria") != PAS_TOPIC:
        raise invalid(f"Subscription.criteria must be the PAS topic {PAS_TOPIC}.", "criteria")
    channel = _object(body.get("channel") or {}, "Subscription.channel")
    if channel.get("type") != "rest-hook":
        raise invalid("Only rest-hook channels are offered.", "Subscription.channel.type")
    if channel.get("payload") not in ("application/fhir+json", "application/json"):
        raise invalid("channel.payload must be application/fhir+json.", "Subscription.channel")
    content = _payload_content(channel)
    endpoint = _endpoint(channel.get("endpoint"))
    headers = channel.get("header") or []
    if (
        not isinstance(headers, list)
        or len(headers) > MAX_HEADERS
        or not all(
            isinstance(h, str) and ":" in h and "\n" not in h and len(h) < 1000 for h in headers
        )
    ):
        raise invalid("channel.header: at most 5 'Name: value' lines.", "Subscription.channel")
    clinic = actor.organization
    if clinic is None:
        raise FhirError.one(status.HTTP_403_FORBIDDEN, "forbidden", "Clinic staff only.")
    with transaction.atomic():
        subscription = Subscription.objects.create(
            organization=clinic,
            created_by=actor,
            topic=PAS_TOPIC,
            endpoint=endpoint,
            content=content,
            headers=headers,
            reason=str(body.get("reason") or "")[:200],
        )
        outbox.enqueue("pas.subscription_handshake", str(subscription.id))
    return subscription


def _object(value: object, where: str) -> dict[str, Any]:
    """A JSON object where the resource needs one: a client's list or string is refused there,
    not stumbled over later (an AttributeError, a 500)."""
    if not isinstance(value, dict):
        raise invalid(f"{where} must be a JSON object.", where)
    return value


def _payload_content(channel: dict[str, Any]) -> str:
    where = "Subscription.channel._payload"
    extensions = _object(channel.get("_payload") or {}, where).get("extension") or []
    if not isinstance(extensions, list):
        raise invalid(f"{where}.extension must be a list.", f"{where}.extension")
    found = []
    for index, extension in enumerate(extensions):
        if _object(extension, f"{where}.extension[{index}]").get("url") == PAYLOAD_CONTENT:
            found.append(extension.get("valueCode"))
    content = found[0] if found else Subscription.Content.ID_ONLY
    if content not in Subscription.Content.values:
        raise invalid(
            "backport-payload-content must be id-only or full-resource (empty is not offered).",
            "Subscription.channel.payload",
        )
    return str(content)


def _endpoint(url: object) -> str:
    """An https URL whose host is not an internal address; plain http to this machine only
    where settings.PAS_SUBSCRIPTION_ALLOW_LOOPBACK says so (tests, development)."""
    if not isinstance(url, str) or len(url) > 500:
        raise invalid("channel.endpoint must be a URL.", "Subscription.channel.endpoint")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname or "", parts.port  # the port read now: delivery reads it too
    except ValueError:  # "https://[::1", "https://[zz]/" (no IPv6 address), "https://h:99999/"
        raise invalid(
            "channel.endpoint is not a well-formed URL.", "Subscription.channel.endpoint"
        ) from None
    if parts.scheme == "https" and host and not _internal_literal(host):
        return url
    if parts.scheme == "http" and _loopback_host(host) and loopback_allowed():
        return url
    raise invalid(
        "channel.endpoint must be an https URL of a public host.", "Subscription.channel.endpoint"
    )


def loopback_allowed() -> bool:
    return bool(getattr(settings, "PAS_SUBSCRIPTION_ALLOW_LOOPBACK", False))


def _loopback_host(host: str) -> bool:
    return host == "localhost" or _is_loopback(host)


def _internal_literal(host: str) -> bool:
    try:
        return _internal(ipaddress.ip_address(host))
    except ValueError:
        return host == "localhost"


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _refuse_internal(url: str) -> None:
    """At delivery: the endpoint's host must still resolve to public addresses only (a name
    may point inside later), except plain http to loopback that creation allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and _loopback_host(host):
        return
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443)}
    except OSError as exc:
        raise DeliveryFailed(f"{host} does not resolve: {exc}") from None
    for address in resolved:
        if _internal(ipaddress.ip_address(str(address).split("%", 1)[0])):
            raise DeliveryFailed(f"{host} resolves to an internal address; not sent")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def visible(actor: User, subscription_id: str) -> Subscription:
    try:
        found = Subscription.objects.filter(
            pk=uuid.UUID(subscription_id), organization=actor.organization
        ).first()
    except ValueError:
        found = None
    if found is None:
        raise FhirError.one(
            status.HTTP_404_NOT_FOUND, "not-found", "No Subscription of your clinic by that id."
        )
    return found


def as_resource(subscription: Subscription) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "id": str(subscription.id),
        "meta": {"profile": [SUBSCRIPTION_PROFILE]},
        "status": subscription.status,
        "reason": subscription.reason or "PAS decisions and requests for information",
        "criteria": subscription.topic,
        "channel": {
            "type": "rest-hook",
            "endpoint": subscription.endpoint,
            "payload": "application/fhir+json",
            "_payload": {
                "extension": [{"url": PAYLOAD_CONTENT, "valueCode": subscription.content}]
            },
        },
        **({"error": subscription.last_error} if subscription.last_error else {}),
    }


# --- events ------------------------------------------------------------------------------------
def on_case_event(sender: type[CaseEvent], instance: CaseEvent, created: bool, **_: Any) -> None:
    """In the decision's own transaction: queue a notification for each active Subscription
    of the case's clinic, numbering the events of each."""
    if not created or instance.to_status not in NOTIFY_STATUSES:
        return
    case_id = instance.case_id
    # The services write events with their case at hand: no query; else one, as before.
    organization_id = instance.case.organization_id
    # The decision's own transaction (one of its own if called outside any): no savepoint, as
    # an error here leaves the event's transaction and rolls back the move with it.
    with transaction.atomic(savepoint=False):
        subscriptions = Subscription.objects.select_for_update().filter(
            organization_id=organization_id, status=Subscription.Status.ACTIVE
        )
        for subscription in subscriptions:
            subscription.events += 1
            subscription.save(update_fields=["events"])
            outbox.enqueue(
                "pas.notify_subscription", str(subscription.id), case_id, subscription.events
            )


# --- the notification Bundles ------------------------------------------------------------------
def reference_of(subscription: Subscription) -> str:
    return f"{codes.CANONICAL_BASE}/Subscription/{subscription.id}"


def handshake_bundle(subscription: Subscription) -> dict[str, Any]:
    return _notification(subscription, "handshake", [], events_since_start=subscription.events)


def event_bundle(subscription: Subscription, case: Case, event_number: int) -> dict[str, Any]:
    """An event-notification: the status Parameters naming the case's ClaimResponse (by its
    case reference, id-only) or including the whole PAS response Bundle (full-resource)."""
    focus: dict[str, Any] = {
        "type": "ClaimResponse",
        "identifier": {"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference},
    }
    entries: list[dict[str, Any]] = []
    if subscription.content == Subscription.Content.FULL_RESOURCE:
        bundle = response_bundle(case, Answering(trace=original_trace(case)))
        url = f"urn:uuid:{bundle['id']}"
        focus = {"reference": url, "type": "Bundle"}
        entries.append({"fullUrl": url, "resource": bundle})
    event = {
        "name": "notification-event",
        "part": [
            {"name": "event-number", "valueString": str(event_number)},
            {"name": "timestamp", "valueInstant": timezone.now().isoformat()},
            {"name": "focus", "valueReference": focus},
        ],
    }
    return _notification(subscription, "event-notification", [event], entries, event_number)


def _notification(
    subscription: Subscription,
    kind: str,
    notification_events: list[dict[str, Any]],
    entries: list[dict[str, Any]] | None = None,
    events_since_start: int = 0,
) -> dict[str, Any]:
    """A backport notification: a history Bundle whose first entry is the SubscriptionStatus
    (R4: a Parameters), then any included resources."""
    status_id = str(uuid.uuid4())
    parameters = {
        "resourceType": "Parameters",
        "id": status_id,
        "meta": {"profile": [STATUS_PROFILE]},
        "parameter": [
            {"name": "subscription", "valueReference": {"reference": reference_of(subscription)}},
            {"name": "topic", "valueCanonical": subscription.topic},
            {"name": "status", "valueCode": "active"},
            {"name": "type", "valueCode": kind},
            {"name": "events-since-subscription-start", "valueString": str(events_since_start)},
            *notification_events,
        ],
    }
    bundle_id = str(uuid.uuid4())
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [NOTIFICATION_PROFILE]},
        "type": "history",
        "timestamp": timezone.now().isoformat(),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{status_id}",
                "resource": parameters,
                "request": {"method": "GET", "url": f"{reference_of(subscription)}/$status"},
                "response": {"status": "200"},
            },
            *[
                {**entry, "request": {"method": "GET", "url": entry["fullUrl"]},
                 "response": {"status": "200"}}
                for entry in entries or []
            ],
        ],
    }  # fmt: skip


class DeliveryFailed(Exception):
    """The endpoint did not answer 2xx (or could not be reached): the task retries."""


def post(subscription: Subscription, bundle: dict[str, Any]) -> int:
    """POST a notification Bundle to the Subscription's endpoint; its HTTP status, or
    DeliveryFailed."""
    _refuse_internal(subscription.endpoint)
    # The endpoint's scheme was checked at creation (_endpoint: https, or http to loopback).
    request = urllib.request.Request(  # noqa: S310
        subscription.endpoint,
        data=json.dumps(bundle).encode(),
        method="POST",
        headers={"Content-Type": "application/fhir+json"},
    )
    for header in subscription.headers:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            code = int(answer.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= code < 300:
        raise DeliveryFailed(f"HTTP {code}")
    return code
