"""A Subscription body of any JSON shape is answered: created, or refused with one
OperationOutcome and a 4xx; never a 500, and a refused one stores nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from pas.models import Subscription
from tests.fhir.support import outcome_issues

from .test_subscriptions import post_subscription, subscription_body

pytestmark = pytest.mark.django_db
Body = dict[str, Any]
GOOD = subscription_body("https://ehr.example.org/hook")

# Any JSON value, small: scalars, lists and objects nested a few levels.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def assert_refused_and_nothing_stored(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.content
    assert outcome_issues(response)
    assert not Subscription.objects.exists()


def changed(change: Callable[[Body], None]) -> Body:
    body = copy.deepcopy(GOOD)
    change(body)
    return body


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.update(channel="x"),
        lambda b: b.update(channel=[1]),
        lambda b: b["channel"].update(_payload=[1]),
        lambda b: b["channel"].update(_payload={"extension": [1]}),
        lambda b: b["channel"].update(_payload={"extension": 5}),
        lambda b: b["channel"].update(endpoint="https://[::1"),
        lambda b: b["channel"].update(endpoint="https://[zz]/"),
        lambda b: b["channel"].update(endpoint="https://ehr.example.org:99999/hook"),
    ],
    ids=[
        "channel-str",
        "channel-list",
        "payload-list",
        "extension-int",
        "extensions-int",
        "endpoint-unclosed-ipv6",
        "endpoint-bad-ipv6",
        "endpoint-bad-port",
    ],
)
def test_it_refuses_a_badly_shaped_subscription(riverside: User, change: Callable) -> None:
    assert_refused_and_nothing_stored(post_subscription(riverside, changed(change)))


# Where an arbitrary value is planted in a good body: one of its (nested) fields.
PLACES: dict[str, Callable[[Body, Any], None]] = {
    "channel": lambda b, v: b.update(channel=v),
    "channel.type": lambda b, v: b["channel"].update(type=v),
    "channel.endpoint": lambda b, v: b["channel"].update(endpoint=v),
    "channel.payload": lambda b, v: b["channel"].update(payload=v),
    "channel._payload": lambda b, v: b["channel"].update(_payload=v),
    "channel._payload.extension": lambda b, v: b["channel"]["_payload"].update(extension=v),
    "channel._payload.extension[0]": lambda b, v: b["channel"]["_payload"]["extension"].__setitem__(0, v),
    "channel.header": lambda b, v: b["channel"].update(header=v),
    "reason": lambda b, v: b.update(reason=v),
}  # fmt: skip


def planted(place: str, value: Any) -> Any:
    """The good body with the value at place; at "body", the value instead of the body."""
    if place == "body":
        return value
    body = copy.deepcopy(GOOD)
    PLACES[place](body, value)
    return body


class _Rollback(Exception):
    pass


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.sampled_from(["body", *sorted(PLACES)]), value=JSON)
def test_it_never_answers_an_arbitrary_subscription_shape_with_a_500(
    riverside: User, place: str, value: Any
) -> None:
    try:
        with transaction.atomic():  # each example starts with no Subscription
            response = post_subscription(riverside, planted(place, value))
            assert response.status_code < 500, (place, json.dumps(value), response.content)
            if response.status_code >= 400:
                assert_refused_and_nothing_stored(response)
            raise _Rollback
    except _Rollback:
        pass
