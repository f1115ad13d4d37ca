"""The clinic sees the authorization number and validity on screen, and every time says its
time zone (issue 16)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reviews import services
from tests.conftest import client_for
from tests.factories import make_case

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_shows_the_authorization_number_and_validity_on_the_case_page_and_list(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case, reason="All met")
    case.refresh_from_db()
    auth = case.authorization
    valid = f"{auth.valid_from:%b} {auth.valid_from.day}, {auth.valid_from.year}"
    client = client_for(riverside)

    page = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    listing = client.get(reverse("prescriber:case_list") + "?show=closed").content.decode()

    for html in (page, listing):
        assert auth.number in html
        assert valid in html
    assert "Authorization number" in page


def test_it_says_which_time_zone_a_time_is_in(riverside: User) -> None:
    case = make_case(riverside)
    zone = timezone.localtime(case.submitted_at).strftime("%Z")
    page = client_for(riverside).get(reverse("prescriber:case_detail", args=[case.pk]))
    stamp = timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M")
    assert f"{stamp} {zone}" in page.content.decode()
