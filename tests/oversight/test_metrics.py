"""The metrics against figures worked out by hand on a small seeded set of cases."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from oversight.metrics import review_metrics
from reviews import selectors, services
from reviews.models import Case
from tests.factories import approvable_facts, make_case

MARCH_1 = date(2026, 3, 1)
MARCH_31 = date(2026, 3, 31)


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour))


def place(case: Case, *, submitted: datetime, hours: float | None, clock: int) -> None:
    """Put the case's clock where the test wants it (allowed in tests, never in the app)."""
    decided = submitted + timedelta(hours=hours) if hours is not None else None
    Case.objects.filter(pk=case.pk).update(
        submitted_at=submitted, decided_at=decided, due_at=submitted + timedelta(hours=clock)
    )


def decide(
    clinic: User,
    reviewer: User,
    outcome: str,
    *,
    urgency: str = "standard",
    facts: dict[str, Any] | None = None,
    pend: bool = False,
    overrides: tuple[tuple[str, str], ...] = (),
) -> Case:
    case = make_case(clinic, urgency=urgency, facts=facts, claim_by=reviewer)
    if pend:
        services.case_pend(actor=reviewer, case=case, items=["HIV test report"])
        services.case_answer_rfi(actor=clinic, case=case, note="Report attached")
    for criterion, ruling in overrides:
        services.checklist_override(
            actor=reviewer, case=case, criterion_id=criterion, status=ruling, reason="Chart review"
        )
    if outcome == "approve":
        services.case_approve(actor=reviewer, case=case)
    else:
        failed = [c for c, status in selectors.effective_statuses(case).items() if status != "met"]
        services.case_deny(actor=reviewer, case=case, failed_criteria=failed, reason="Not met")
    return case


@pytest.fixture
def seeded(riverside: User, lakeside: User, pharmacist: User) -> None:
    # Standard, received in March: approved in 2h; approved after a pend in 5h; denied in 30h
    # against a 24h clock; pended and still open; withdrawn. One more approved in February,
    # outside the period. The denied case's overrides: age met -> not met (overturns), age back
    # to met (agrees with the engine), prophylaxis met -> not met (overturns).
    place(decide(riverside, pharmacist, "approve"), submitted=at(2), hours=2, clock=72)
    place(decide(riverside, pharmacist, "approve", pend=True), submitted=at(3), hours=5, clock=72)
    rulings = (("age", "not_met"), ("age", "met"), ("prophylaxis", "not_met"))
    denied = decide(riverside, pharmacist, "deny", overrides=rulings)
    place(denied, submitted=at(4), hours=30, clock=24)
    still_pended = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=still_pended, items=["Liver ultrasound"])
    place(still_pended, submitted=at(5), hours=None, clock=72)
    withdrawn = services.case_withdraw(actor=riverside, case=make_case(riverside))
    place(withdrawn, submitted=at(6), hours=None, clock=72)
    place(decide(riverside, pharmacist, "approve"), submitted=at(20, month=2), hours=1, clock=72)
    # Expedited: approved in 1h after ruling the unknown HIV line met (overturns; Riverside);
    # denied in 3h for a prior gene therapy, no override (Lakeside).
    no_hiv = {k: v for k, v in approvable_facts().items() if k != "hiv_status"}
    overturned = decide(
        riverside, pharmacist, "approve", urgency="expedited", facts=no_hiv,
        overrides=(("excl_hiv", "met"),),
    )  # fmt: skip
    place(overturned, submitted=at(10), hours=1, clock=24)
    gene_therapy = {**approvable_facts(), "prior_hemophilia_b_gene_therapy": True}
    refused = decide(lakeside, pharmacist, "deny", urgency="expedited", facts=gene_therapy)
    place(refused, submitted=at(11), hours=3, clock=24)


@pytest.mark.usefixtures("seeded")
def test_it_matches_hand_computed_standard_figures() -> None:
    m = review_metrics(MARCH_1, MARCH_31).standard
    assert (m.received, m.approved, m.denied, m.pended, m.approved_after_pend) == (5, 2, 1, 2, 1)
    assert (m.pct_approved, m.pct_denied, m.pct_pended, m.pct_approved_after_pend) == (
        40.0, 20.0, 40.0, 20.0,
    )  # fmt: skip
    assert m.decided == 3
    # decided in 2h, 5h (clock 72h) and 30h (clock 24h): two of three within the clock
    assert m.decided_within_clock == 2
    assert m.pct_within_clock == pytest.approx(200 / 3)
    assert m.avg_hours == pytest.approx((2 + 5 + 30) / 3)
    assert m.median_hours == pytest.approx(5.0)  # median of [2h, 5h, 30h]
    # two overturning overrides, both on the denied case; the agreeing one is not counted
    assert (m.overturned_overrides, m.decided_with_overturn) == (2, 1)
    assert m.pct_with_overturn == pytest.approx(100 / 3)


@pytest.mark.usefixtures("seeded")
def test_it_matches_hand_computed_expedited_figures() -> None:
    m = review_metrics(MARCH_1, MARCH_31).expedited
    assert (m.received, m.approved, m.denied, m.pended, m.decided) == (2, 1, 1, 0, 2)
    assert (m.pct_approved, m.pct_denied, m.pct_pended) == (50.0, 50.0, 0.0)
    assert m.median_hours == pytest.approx(2.0)  # median of [1h, 3h], interpolated
    assert m.avg_hours == pytest.approx(2.0)
    assert m.pct_within_clock == 100.0
    assert (m.overturned_overrides, m.decided_with_overturn, m.pct_with_overturn) == (1, 1, 50.0)


@pytest.mark.usefixtures("seeded")
def test_it_narrows_to_one_clinic_and_to_the_period(riverside: User) -> None:
    assert riverside.organization is not None
    m = review_metrics(MARCH_1, MARCH_31, riverside.organization)
    assert (m.standard.received, m.expedited.received, m.expedited.denied) == (5, 1, 0)
    february = review_metrics(date(2026, 2, 1), date(2026, 2, 28))
    assert (february.standard.received, february.standard.median_hours) == (1, 1.0)
    # The last day of the period is included: 20 February alone still finds the case.
    assert review_metrics(date(2026, 2, 20), date(2026, 2, 20)).standard.received == 1


@pytest.mark.django_db
def test_it_reports_no_percentages_for_an_empty_period() -> None:
    m = review_metrics(MARCH_1, MARCH_31).standard
    assert m.received == 0
    assert m.pct_approved is None and m.median_hours is None and m.pct_within_clock is None
