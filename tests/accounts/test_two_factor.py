from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.accounts.support import current_code, log_in
from tests.conftest import client_for


def test_it_sends_payer_staff_without_an_authenticator_to_enrol_before_anything_else(
    pharmacist: User,
) -> None:
    client = log_in("phil")
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    # Enrolment itself needs an administrator's link: tests/accounts/test_enrolment.py.
    assert client.get(response["Location"]).status_code == 403


def test_it_asks_an_enrolled_user_for_a_code_at_each_login(auditor: User) -> None:
    device = TOTPDevice.objects.create(user=auditor, name="app", confirmed=True)
    client = log_in("audrey")
    response = client.get("/audit/")
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    bad = client.post("/accounts/two-factor/", {"token": "12345x", "next": "/audit/"})
    assert "six digits" in bad.content.decode()
    assert client.get("/audit/").status_code == 302
    good = client.post("/accounts/two-factor/", {"token": current_code(device), "next": "/audit/"})
    assert good["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200


def test_it_never_redirects_off_site_after_the_second_factor(director: User) -> None:
    device = TOTPDevice.objects.create(user=director, name="app", confirmed=True)
    client = log_in("dana")
    response = client.post(
        "/accounts/two-factor/", {"token": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_it_lets_clinic_staff_in_with_a_password_alone(riverside: User) -> None:
    assert log_in("riverside").get("/clinic/").status_code == 200


def test_it_treats_the_test_client_helper_as_verified(pharmacist: User) -> None:
    assert client_for(pharmacist).get("/review/").status_code == 200
