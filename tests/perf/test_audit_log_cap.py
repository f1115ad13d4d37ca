"""The audit log stops counting at AUDIT_LOG_COUNT_CAP rows: past it the page says "more than"
and still pages through them; below it the count is exact."""

from typing import Any

import pytest

from accounts.models import User
from audit.models import AuditLog
from tests.conftest import client_for
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(settings: Any) -> None:
    settings.AUDIT_LOG_COUNT_CAP = 3
    settings.AUDIT_LOG_PAGE_SIZE = 2


def test_it_says_more_than_the_cap_and_still_pages(
    small_cap: None, riverside: User, auditor: User
) -> None:
    make_case(riverside)
    make_case(riverside)
    assert AuditLog.objects.filter(action__startswith="case.").count() > 3
    client = client_for(auditor)

    first = client.get("/audit/", {"action": "case.*"})
    second = client.get("/audit/", {"action": "case.*", "page": "2"})

    paginator = first.context["page"].paginator
    assert (paginator.capped, paginator.count) == (True, 4)
    text = first.content.decode()
    assert "More than 3 rows, page 1" in text
    assert ">Last<" not in text and "page=2" in text
    assert len(second.context["page"].object_list) == 2


def test_it_counts_exactly_below_the_cap(small_cap: None, riverside: User, auditor: User) -> None:
    case = make_case(riverside)
    client = client_for(auditor)

    response = client.get("/audit/", {"case": case.reference, "action": "case.submit"})

    paginator = response.context["page"].paginator
    assert (paginator.capped, paginator.count) == (False, 1)
    assert "1 row" in response.content.decode()
