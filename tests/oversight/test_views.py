"""The auditor's pages: who may see them, that they change nothing, and what they show."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case

PAGES = [
    "audit:log",
    "audit:log_csv",
    "audit:metrics",
    "audit:metrics_csv",
    "audit:decisions_csv",
    "audit:chain",
]


def urls(case: Case) -> list[str]:
    return [reverse(name) for name in PAGES] + [reverse("audit:case", args=[case.pk])]


@pytest.mark.parametrize("username", ["riverside", "lakeside", "phil", "dana"])
def test_it_refuses_clinic_staff_and_reviewers(users: dict[str, User], username: str) -> None:
    case = make_case(users["riverside"])
    client = client_for(users[username])
    for url in urls(case):
        assert client.get(url).status_code == 403, url


def test_it_sends_anonymous_visitors_to_log_in(riverside: User) -> None:
    case = make_case(riverside)
    for url in urls(case):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("username", ["audrey", "admin"])
def test_it_opens_every_page_to_auditors_and_admins(users: dict[str, User], username: str) -> None:
    case = make_case(users["riverside"])
    client = client_for(users[username])
    for url in urls(case):
        assert client.get(url).status_code == 200, url


def test_it_refuses_every_write_method(riverside: User, auditor: User) -> None:
    case = make_case(riverside)
    client = client_for(auditor)
    before = AuditLog.objects.count()
    for url in urls(case):
        for method in (client.post, client.put, client.patch, client.delete):
            assert method(url).status_code == 405, url
    assert AuditLog.objects.count() == before


def shown(client: Client, **filters: str) -> list[AuditLog]:
    response = client.get(reverse("audit:log"), filters)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


@pytest.fixture
def two_clinics(riverside: User, lakeside: User, pharmacist: User) -> tuple[Case, Case]:
    ours = make_case(riverside, claim_by=pharmacist)
    theirs = make_case(lakeside, claim_by=pharmacist)
    Client().post(reverse("login"), {"username": "ghost", "password": "not-a-user-pass"})
    return ours, theirs


def test_it_filters_by_user_including_failed_logins(
    two_clinics: tuple[Case, Case], auditor: User, pharmacist: User
) -> None:
    client = client_for(auditor)
    rows = shown(client, user="PHIL")
    assert rows and {r.actor for r in rows} == {pharmacist}
    assert {r.action for r in rows} == {"case.claim"}
    ghost = shown(client, user="ghost")
    assert [(r.action, r.detail) for r in ghost] == [("auth.login_failed", {"username": "ghost"})]


def test_it_filters_by_case_reference(two_clinics: tuple[Case, Case], auditor: User) -> None:
    ours, _ = two_clinics
    rows = shown(client_for(auditor), case=ours.reference.lower())
    assert [r.action for r in reversed(rows)] == ["case.created", "case.submit", "case.claim"]
    assert {r.case_id for r in rows} == {ours.pk}


def test_it_filters_by_clinic_including_reviewers_acting_on_its_cases(
    two_clinics: tuple[Case, Case], auditor: User, lakeside: User
) -> None:
    _, theirs = two_clinics
    assert lakeside.organization is not None
    rows = shown(client_for(auditor), clinic=str(lakeside.organization.pk))
    assert {r.case_id for r in rows} == {theirs.pk}
    assert {r.actor_username for r in rows} == {"lakeside", "phil"}


def test_it_filters_by_action_and_by_action_group(
    two_clinics: tuple[Case, Case], auditor: User
) -> None:
    client = client_for(auditor)
    assert {r.action for r in shown(client, action="case.claim")} == {"case.claim"}
    group = shown(client, action="case.*")
    assert len(group) == 6 and all(r.action.startswith("case.") for r in group)
    assert ("case.*", "case.* (all case actions)") in client.get(reverse("audit:log")).context[
        "form"
    ].fields["action"].choices


def test_it_filters_by_date_range_with_both_ends_included(
    two_clinics: tuple[Case, Case], auditor: User
) -> None:
    client = client_for(auditor)
    today = timezone.localdate()
    everything = shown(client)
    assert len(shown(client, date_from=str(today), date_to=str(today))) == len(everything)
    assert shown(client, date_from=str(today + timedelta(days=1))) == []
    assert shown(client, date_to=str(today - timedelta(days=1))) == []


def test_it_shows_a_field_error_and_no_rows_for_a_backwards_range(
    two_clinics: tuple[Case, Case], auditor: User
) -> None:
    response = client_for(auditor).get(
        reverse("audit:log"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )
    assert response.context["form"].errors["date_to"] == ["The end date is before the start date."]
    assert list(response.context["page"].object_list) == []


def test_it_paginates_and_keeps_the_filters(
    two_clinics: tuple[Case, Case], auditor: User, settings: Settings
) -> None:
    settings.AUDIT_LOG_PAGE_SIZE = 2
    client = client_for(auditor)
    first = client.get(reverse("audit:log"), {"action": "case.*"})
    page = first.context["page"]
    assert (page.paginator.count, page.paginator.num_pages) == (6, 3)
    assert "?action=case.%2A&amp;page=2" in first.content.decode()
    third = client.get(reverse("audit:log"), {"action": "case.*", "page": "3"})
    assert len(third.context["page"].object_list) == 2


def decided_with_override(riverside: User, pharmacist: User) -> Case:
    facts = {k: v for k, v in approvable_facts().items() if k != "hiv_status"}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist, case=case, criterion_id="excl_hiv", status="met", reason="Lab of 3 March"
    )
    services.case_approve(actor=pharmacist, case=case, reason="All criteria met")
    return case


def test_it_shows_the_full_timeline_with_the_decision_snapshot(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    case = decided_with_override(riverside, pharmacist)
    response = client_for(auditor).get(reverse("audit:case", args=[case.pk]))
    timeline = response.context["timeline"]
    events = [e.action for e in timeline.entries if e.kind == "event"]
    assert events == ["created", "submit", "claim", "override", "approve"]
    # The page view itself is recorded and shown as access, not duplicated as an event.
    # (Besides the messages the decision sent: notification.created, one per clinic user.)
    accesses = [e.action for e in timeline.entries if e.kind == "access"]
    assert [a for a in accesses if not a.startswith("notification.")] == ["case.view"]
    assert "notification.created" in accesses
    page = response.content.decode()
    snapshot = case.decision.snapshot
    assert f'data-testid="snapshot-policy">{snapshot["policy_id"]}<' in page
    assert "HIV status: engine Unknown → ruled Met by phil" in page
    assert "Lab of 3 March" in page
    assert "&quot;fix_activity_value&quot;: &quot;1.0&quot;" in page  # the facts, escaped


def test_it_records_the_auditors_view_of_the_case(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    case = decided_with_override(riverside, pharmacist)
    client_for(auditor).get(reverse("audit:case", args=[case.pk]), REMOTE_ADDR="192.0.2.4")
    row = AuditLog.objects.get(action="case.view", case=case)
    assert (row.actor, row.ip, row.detail) == (auditor, "192.0.2.4", {"page": "audit timeline"})


def test_it_keeps_drafts_out_of_the_timeline(riverside: User, auditor: User) -> None:
    draft = make_case(riverside, submit=False)
    assert client_for(auditor).get(reverse("audit:case", args=[draft.pk])).status_code == 404


def test_it_draws_the_metrics_chart_from_the_figures(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    decided_with_override(riverside, pharmacist)
    make_case(riverside)
    response = client_for(auditor).get(reverse("audit:metrics"))
    page = response.content.decode()
    assert response.context["metrics"].standard.received == 2
    # Half of the two standard requests approved: a bar of 33% of the chart's width (66% max).
    assert '<rect x="0" y="48" width="33.00%"' in page
    assert "50% · standard" in page and "no data · expedited" in page
    assert '<svg width="100%"' in page and "<script" not in page.split("<main", 1)[1]
