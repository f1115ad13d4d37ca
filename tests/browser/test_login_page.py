import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.support import axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_a_clinic_user_in_and_shows_their_clinic(page: Page, riverside: User) -> None:
    log_in(page, riverside)
    expect(page.get_by_test_id("whoami")).to_contain_text("Riverside Hematology Associates")


def test_it_logs_a_pharmacist_in_with_the_second_factor(page: Page, pharmacist: User) -> None:
    log_in(page, pharmacist)
    expect(page).to_have_url(page.url.split("/review/")[0] + "/review/")
    expect(page.get_by_test_id("whoami")).to_contain_text("Pharmacist reviewer")


def test_it_has_no_serious_accessibility_problems_on_the_login_page(page: Page, db: None) -> None:
    page.goto("/accounts/login/")
    violations = axe_violations(page)
    assert not violations, describe(violations)
