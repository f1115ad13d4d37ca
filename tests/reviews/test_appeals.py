"""Appeals: the clinic appeals a denial with a statement, new facts and documents; the appeal is
a case of its own, evaluated again, on its own clock, decided only by a medical director who did
not make the original decision (the workflow and PostgreSQL both refuse anyone else)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from notifications.models import Kind, Notification
from oversight.metrics import review_metrics
from oversight.public_report import public_report
from reviews import services
from reviews.letters import render_letter_pdf
from reviews.models import Case, Decision, PolicySetting
from reviews.workflow import TransitionError
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case
from tests.reliability.servers import wait_until
from tests.reviews.test_letter_pdf import assert_drawn_whole
from tests.reviews.test_letters import pdf_text
from tests.walls import walls_down

pytestmark = pytest.mark.django_db

LOW_FIX = {**approvable_facts(), "fix_activity_value": "5"}


@pytest.fixture
def second_director(users: dict[str, User]) -> User:
    return User.objects.create_user(
        username="drew",
        password="x" * 20,
        role=Role.MEDICAL_DIRECTOR,
        first_name="Drew",
        last_name="Dunmore",
        credentials="MD",
    )


def denied_by(riverside: User, decider: User) -> Case:
    case = make_case(riverside, facts=LOW_FIX, claim_by=decider)
    services.case_deny(
        actor=decider,
        case=case,
        failed_criteria=["fix_activity"],
        reason="Factor IX activity is above the policy's limit.",
    )
    return Case.objects.get(pk=case.pk)


def appeal(riverside: User, original: Case, **kwargs: Any) -> Case:
    kwargs.setdefault("statement", "The earlier lab was drawn during a factor infusion.")
    kwargs.setdefault("facts", {"fix_activity_value": "1"})
    return services.case_appeal(actor=riverside, case=original, **kwargs)


def test_it_files_an_appeal_as_its_own_case_evaluated_again_on_its_own_clock(
    riverside: User, director: User, settings: Any
) -> None:
    settings.APPEAL_CLOCK_HOURS = {"standard": 720, "expedited": 72}
    original = denied_by(riverside, director)
    upload = SimpleUploadedFile("lab.pdf", b"%PDF-1.4\n% repeat lab\n%%EOF\n")

    filed = appeal(riverside, original, documents=[(upload, "lab_report")])

    assert filed.pk != original.pk and filed.appeal_of == original
    assert filed.status == "submitted" and filed.reference != original.reference
    # The engine read the new fact: the line that failed is met now.
    line = next(ln for ln in filed.checklist["lines"] if ln["id"] == "fix_activity")
    assert line["status"] == "met"
    assert filed.facts["fix_activity_value"] == "1"
    assert filed.submitted_at is not None
    assert filed.due_at == filed.submitted_at + timedelta(hours=720)
    assert [d.original_name for d in filed.documents.all()] == ["lab.pdf"]
    assert Case.objects.get(pk=original.pk).status == "denied"
    assert original.events.filter(action="appeal_filed").get().reason.startswith("The earlier")
    told = Notification.objects.filter(case=filed, kind=Kind.APPEAL_RECEIVED)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["dana", "riverside"]


def test_it_refuses_an_appeal_decided_by_the_director_who_made_the_denial(
    riverside: User, director: User
) -> None:
    filed = appeal(riverside, denied_by(riverside, director))
    services.case_claim(actor=director, case=filed)

    with pytest.raises(TransitionError, match="another medical director must decide"):
        services.case_approve(actor=director, case=filed)
    with pytest.raises(TransitionError, match="another medical director must decide"):
        services.case_deny(actor=director, case=filed, failed_criteria=["fix_activity"], reason="x")

    assert not Decision.objects.filter(case=filed).exists()


def test_it_refuses_a_pharmacist_deciding_an_appeal(
    riverside: User, director: User, pharmacist: User
) -> None:
    filed = appeal(riverside, denied_by(riverside, director))
    services.case_claim(actor=pharmacist, case=filed)

    with pytest.raises(TransitionError, match="Only a medical director may decide an appeal"):
        services.case_approve(actor=pharmacist, case=filed)


def test_it_lets_another_director_overturn_the_denial_with_a_letter_of_its_own(
    riverside: User, director: User, second_director: User
) -> None:
    original = denied_by(riverside, director)
    filed = appeal(riverside, original)
    services.case_claim(actor=second_director, case=filed)

    decision = services.case_approve(actor=second_director, case=filed)

    assert decision.decided_by == second_director
    assert Case.objects.get(pk=filed.pk).authorization.number
    text = pdf_text(render_letter_pdf(decision))
    assert "Appeal determination" in text and "Decision: APPROVED" in text
    assert f"This letter decides the appeal of request {original.reference}" in text
    assert_drawn_whole(decision)
    assert Notification.objects.filter(case=filed, kind=Kind.APPEAL_DECIDED).exists()


def test_it_states_external_review_as_the_next_step_when_the_denial_is_upheld(
    riverside: User, director: User, second_director: User
) -> None:
    original = denied_by(riverside, director)
    filed = appeal(riverside, original, facts={})
    services.case_claim(actor=second_director, case=filed)

    decision = services.case_deny(
        actor=second_director, case=filed, failed_criteria=["fix_activity"], reason="Still high."
    )

    text = pdf_text(render_letter_pdf(decision))
    assert "Decision: DENIED" in text
    assert "This decision ends the plan's internal appeal" in text
    assert "Your right to appeal" not in text
    assert "You may ask for an external review" in text
    assert "of the date of this letter" in text
    assert_drawn_whole(decision)


def test_it_refuses_the_original_denier_in_postgresql_too(
    riverside: User, director: User, pharmacist: User, second_director: User
) -> None:
    filed = appeal(riverside, denied_by(riverside, director))

    for decider in (director, pharmacist):
        with pytest.raises(IntegrityError, match="appeal is decided by"), transaction.atomic():
            Decision.objects.create(case=filed, outcome="approved", decided_by=decider)
    # The appeal decider's trigger alone: the case itself is not approved, which the commit's
    # check would refuse (migration 0017).
    with walls_down("reviews_decision", "reviews_decision_decided"):
        Decision.objects.create(case=filed, outcome="approved", decided_by=second_director)


def test_it_refuses_an_appeal_after_the_deadline(riverside: User, director: User) -> None:
    original = denied_by(riverside, director)
    # Two days past the window (180 days): one day past fails an hour a night, when UTC is past
    # midnight but the portal's time zone is not, across a daylight-saving change.
    with walls_down("reviews_decision", "reviews_decision_guard"):  # a decision is never changed
        Decision.objects.filter(case=original).update(
            created_at=timezone.now() - timedelta(days=182)
        )

    with pytest.raises(services.ServiceError, match=r"appeal deadline .* has passed"):
        appeal(riverside, original)


def test_it_keeps_the_appeal_deadline_the_letter_stated_when_the_window_changes_later(
    riverside: User, director: User
) -> None:
    """The letter states the window in force at the decision (180 days); an administrator's
    shorter window afterwards applies to later decisions, not to a denial already sent."""
    original = denied_by(riverside, director)
    decision = Decision.objects.get(case=original)
    PolicySetting.objects.create(appeal_deadline_days=30)
    with walls_down("reviews_decision", "reviews_decision_guard"):  # a decision is never changed
        Decision.objects.filter(case=original).update(
            created_at=timezone.now() - timedelta(days=100)
        )
    decision.refresh_from_db()
    stated = timezone.localdate(decision.created_at) + timedelta(days=180)

    assert services.appeal_deadline(original) == stated
    text = pdf_text(render_letter_pdf(decision))
    assert f"by {stated:%B} {stated.day}, {stated.year}" in text and "within 180 days" in text
    filed = appeal(riverside, original)
    assert filed.appeal_of == original


def test_it_refuses_a_second_appeal_an_appeal_of_an_approval_and_another_clinic(
    riverside: User, lakeside: User, director: User, second_director: User
) -> None:
    original = denied_by(riverside, director)
    filed = appeal(riverside, original, facts={})
    with pytest.raises(services.ServiceError, match="already been appealed"):
        appeal(riverside, original)

    approved = make_case(riverside, claim_by=director)
    services.case_approve(actor=director, case=approved)
    with pytest.raises(TransitionError, match="Only a denied request can be appealed"):
        appeal(riverside, approved)

    with pytest.raises(services.NotAllowed):
        appeal(lakeside, denied_by(riverside, director))

    services.case_claim(actor=second_director, case=filed)
    services.case_deny(
        actor=second_director, case=filed, failed_criteria=["fix_activity"], reason="x"
    )
    with pytest.raises(services.ServiceError, match="external review"):
        appeal(riverside, Case.objects.get(pk=filed.pk))


def test_it_files_an_appeal_after_the_planned_infusion_date_has_passed(
    riverside: User, director: User, second_director: User
) -> None:
    """An appeal takes weeks; the denied request's planned infusion date may be past by then.
    It is not carried over (no door may give a past date), so the appeal is filed and the
    approval asks for a new one; a date given with the appeal replaces it."""
    original = denied_by(riverside, director)
    past = timezone.localdate() - timedelta(days=3)
    Case.objects.filter(pk=original.pk).update(planned_infusion_date=past)
    original.refresh_from_db()

    filed = appeal(riverside, original)
    assert filed.planned_infusion_date is None
    assert filed.body_weight_kg == original.body_weight_kg
    assert filed.prescriber_npi == original.prescriber_npi
    services.case_claim(actor=second_director, case=filed)
    with pytest.raises(services.ApprovalDetailsMissing, match="planned infusion date"):
        services.case_approve(actor=second_director, case=filed)

    other = denied_by(riverside, director)
    Case.objects.filter(pk=other.pk).update(planned_infusion_date=past)
    later = timezone.localdate() + timedelta(days=20)
    filed = appeal(riverside, other, details={"planned_infusion_date": later})
    assert filed.planned_infusion_date == later
    with pytest.raises(services.DetailsInvalid, match="in the past"):
        appeal(riverside, denied_by(riverside, director), details={"planned_infusion_date": past})


def test_it_takes_a_new_planned_infusion_date_on_the_clinics_appeal_page(
    riverside: User, director: User
) -> None:
    original = denied_by(riverside, director)
    Case.objects.filter(pk=original.pk).update(
        planned_infusion_date=timezone.localdate() - timedelta(days=3)
    )
    later = timezone.localdate() + timedelta(days=20)
    url = reverse("prescriber:case_appeal", kwargs={"pk": original.pk})

    client_for(riverside).post(
        url,
        {
            "statement": "The earlier lab was drawn during a factor infusion.",
            "urgency": "standard",
            "document_kind": "lab_report",
            "planned_infusion_date": later.isoformat(),
        },
    )

    assert Case.objects.get(appeal_of=original).planned_infusion_date == later


def test_it_needs_a_statement(riverside: User, director: User) -> None:
    with pytest.raises(services.ServiceError, match="statement"):
        appeal(riverside, denied_by(riverside, director), statement="  ")


def test_it_counts_appeals_filed_overturned_and_their_time_apart_from_requests(
    riverside: User, director: User, second_director: User
) -> None:
    original = denied_by(riverside, director)
    filed = appeal(riverside, original)
    services.case_claim(actor=second_director, case=filed)
    services.case_approve(actor=second_director, case=filed)
    assert filed.submitted_at is not None
    Case.objects.filter(pk=filed.pk).update(decided_at=filed.submitted_at + timedelta(hours=12))

    today = timezone.localdate()
    standard = review_metrics(today, today).standard

    assert standard.received == 1  # the appeal is not a new request
    assert (standard.appeals_filed, standard.appeals_overturned) == (1, 1)
    assert standard.appeal_avg_hours == pytest.approx(12.0)
    rows = {r.label: r.standard for r in public_report(today.year).rows}
    assert rows["Approved after appeal"] == 100.0


# --- the clinic's page, and the round trip through the real worker ----------------------------


def test_it_files_an_appeal_from_the_clinics_page_with_new_facts_and_a_document(
    riverside: User, director: User
) -> None:
    original = denied_by(riverside, director)
    client = client_for(riverside)
    url = reverse("prescriber:case_appeal", kwargs={"pk": original.pk})
    assert "File the appeal" in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "statement": "The earlier lab was drawn during a factor infusion.",
            "new_facts": "fix_activity_value = 1",
            "urgency": "standard",
            "document_kind": "lab_report",
            "documents": [SimpleUploadedFile("repeat.pdf", b"%PDF-1.4\n% lab\n%%EOF\n")],
        },
    )

    filed = Case.objects.get(appeal_of=original)
    assert response["Location"] == reverse("prescriber:case_detail", kwargs={"pk": filed.pk})
    assert filed.facts["fix_activity_value"] == "1"
    assert [d.original_name for d in filed.documents.all()] == ["repeat.pdf"]
    again = client.get(url).content.decode()
    assert "This denial has already been appealed." in again


def test_it_shows_why_a_case_cannot_be_appealed_and_hides_it_from_other_clinics(
    riverside: User, lakeside: User, director: User
) -> None:
    approved = make_case(riverside, claim_by=director)
    services.case_approve(actor=director, case=approved)
    url = reverse("prescriber:case_appeal", kwargs={"pk": approved.pk})

    page = client_for(riverside).get(url).content.decode()

    assert "Only a denied request can be appealed." in page
    assert client_for(lakeside).get(url).status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_runs_the_appeal_round_trip_with_the_real_worker(
    celery_worker_process: subprocess.Popen[bytes],
    riverside: User,
    director: User,
    second_director: User,
) -> None:
    original = denied_by(riverside, director)
    filed = appeal(riverside, original)
    reviewer = client_for(director)
    reviewer.post(reverse("reviewer:claim", kwargs={"pk": filed.pk}))

    refused = reviewer.post(
        reverse("reviewer:approve", kwargs={"pk": filed.pk}), {"reason": "Now met."}
    )

    # Post/redirect/get: the refusal is shown on the case page the redirect leads to.
    assert refused.status_code == 302
    shown = reviewer.get(refused["Location"])
    assert "another medical director must decide" in shown.content.decode()
    assert not Decision.objects.filter(case=filed).exists()

    services.case_release(actor=director, case=filed)
    services.case_claim(actor=second_director, case=filed)
    decision = services.case_approve(actor=second_director, case=filed, reason="Now met.")

    wait_until(
        lambda: bool(Decision.objects.get(pk=decision.pk).letter), "the appeal letter", timeout=60
    )
    decision.refresh_from_db()
    with decision.letter.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Appeal determination" in text and "Decision: APPROVED" in text
    kinds = set(
        Notification.objects.filter(case=filed, recipient=riverside).values_list("kind", flat=True)
    )
    assert kinds == {Kind.APPEAL_RECEIVED, Kind.APPEAL_DECIDED, Kind.LETTER_READY}


def test_it_refuses_an_appeal_statement_past_the_clinic_text_limit(
    riverside: User, pharmacist: User
) -> None:
    """The statement is kept in the history and shown on every reviewer's page: like the
    clinic's other texts, at most CLINIC_TEXT_MAX_LENGTH characters, and one at the limit goes."""
    from reviews.models import CLINIC_TEXT_MAX_LENGTH

    original = denied_by(riverside, pharmacist)
    cases = Case.objects.count()

    with pytest.raises(services.ServiceError, match="at most 4,000 characters"):
        appeal(riverside, original, statement="x" * (CLINIC_TEXT_MAX_LENGTH + 1))

    assert Case.objects.count() == cases
    assert appeal(riverside, original, statement="y" * CLINIC_TEXT_MAX_LENGTH).appeal_of == original
