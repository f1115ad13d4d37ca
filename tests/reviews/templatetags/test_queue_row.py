"""The queue's rows, written in Python (issue 20): the same HTML the template they replaced
wrote (kept beside this test as queue_row_as_template.html), for every kind of row."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.html import parse_html
from django.utils import timezone

from accounts.models import User
from reviews import selectors, services
from reviews.models import Case
from tests.factories import make_case

OLD = Template((Path(__file__).parent / "queue_row_as_template.html").read_text())
NEW = Template("{% load reviews_queue %}{% queue_row case error %}")


def render(template: Template, user: User, case: Case, error: str = "") -> str:
    request = RequestFactory().get("/review/")
    request.user = user
    request.META["CSRF_COOKIE"] = "s" * 32  # one secret for both renders
    context = RequestContext(request, {"case": case, "user": user, "error": error})
    html = template.render(context)
    # Each render masks the CSRF secret afresh; the secret, not the mask, is what must agree.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return html.replace(token[1], _unmask(token[1])) if token else html


def _unmask(token: str) -> str:
    from django.middleware import csrf

    return str(csrf._unmask_cipher_token(token))  # type: ignore[attr-defined]


@pytest.fixture
def rows(riverside: User, lakeside: User, pharmacist: User, director: User) -> list[Case]:
    """Unassigned, mine, expedited, overdue, due soon, paused (pended), another's, no
    recommendation (an empty checklist)."""
    now = timezone.now()
    plain = make_case(riverside)
    make_case(lakeside, urgency="expedited")
    mine = make_case(riverside, claim_by=pharmacist)
    overdue = make_case(lakeside)
    Case.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=3))
    soon = make_case(riverside)
    Case.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=2))
    pended = make_case(lakeside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pended, items=["A recent FIX activity"], message="")
    Case.objects.filter(pk=plain.pk).update(recommendation="")
    escalated = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=escalated, reason="Inhibitor history unclear")
    del mine
    return selectors.page_rows(selectors.reviewer_queue(director, {})[:25])


@pytest.mark.django_db
def test_it_writes_the_rows_the_template_wrote(
    rows: list[Case], pharmacist: User, director: User
) -> None:
    states = set()
    for user in (pharmacist, director):  # the holder's view and another reviewer's
        cases = selectors.page_rows(selectors.reviewer_queue(user, {})[:25])
        assert len(cases) >= 5
        for case in cases:
            states.add(selectors.due_state(case))
            new, old = render(NEW, user, case), render(OLD, user, case)
            assert parse_html(new) == parse_html(old), (new, old)
    assert states == {"overdue", "soon", "paused", ""}


@pytest.mark.django_db
def test_it_shows_a_refusal_in_the_row(rows: list[Case], pharmacist: User) -> None:
    case = rows[0]
    error = "Another reviewer <claimed> it first."
    new = render(NEW, pharmacist, case, error)
    assert parse_html(new) == parse_html(render(OLD, pharmacist, case, error))
    assert "&lt;claimed&gt;" in new


@pytest.mark.django_db
def test_it_escapes_what_a_clinic_typed(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside)
    case.patient.last_name = '<script>alert("x")</script>'
    html = render(NEW, pharmacist, case)
    assert "<script>" not in html
    assert parse_html(html) == parse_html(render(OLD, pharmacist, case))
