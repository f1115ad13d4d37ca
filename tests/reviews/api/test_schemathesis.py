"""Property-based tests of the REST API from its own OpenAPI description (schemathesis), over
HTTP against the live server, as a clinic with a token: no 5xx, and every response as documented.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from accounts.models import User
from accounts.tokens import issue_token
from pa_portal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

pytestmark = pytest.mark.django_db(transaction=True)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_it_answers_every_generated_request_as_documented(
    case: Any, live_server: Any, riverside: User
) -> None:
    _, token = issue_token(riverside, "schemathesis")
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Token {token}"},
        # Business rules the schema cannot state (e.g. a planned infusion date in the past, facts
        # checked against the patient's birth date) rightly refuse some schema-valid bodies.
        excluded_checks=[checks.positive_data_acceptance],
    )
