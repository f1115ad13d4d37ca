from io import StringIO

from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from reviews.models import Case, Status


def test_it_seeds_users_devices_and_a_dozen_cases_in_varied_states_once(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", "--password", "a-long-demo-password-1", stdout=out)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert Case.objects.count() == 12
    assert statuses == {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.PENDED,
        Status.ESCALATED,
        Status.APPROVED,
        Status.DENIED,
        Status.WITHDRAWN,
    }
    assert set(Case.objects.values_list("recommendation", flat=True)) >= {"approve", "pend", "deny"}
    assert Case.objects.filter(organization__name__startswith="Lakeside").exists()
    # The lifetime limit across clinics: the second clinic's case for the approved member.
    approved = Case.objects.get(status=Status.APPROVED)
    twin = Case.objects.exclude(pk=approved.pk).get(member_id=approved.member_id)
    assert "lifetime_limit" in twin.checklist["failing"]
    assert TOTPDevice.objects.filter(user__username="phil", confirmed=True).count() == 1
    # Running it again changes nothing.
    call_command("seed_demo", "--password", "a-long-demo-password-1", stdout=StringIO())
    assert Case.objects.count() == 12
    assert TOTPDevice.objects.filter(user__username="phil").count() == 1
