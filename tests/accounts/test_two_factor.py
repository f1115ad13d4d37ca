import time

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditLog
from tests.conftest import PASSWORD, client_for


def log_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_it_makes_payer_staff_enrol_a_second_factor_before_anything_else(
    pharmacist: User,
) -> None:
    client = log_in("phil")
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    setup = client.get(response["Location"])
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=pharmacist, confirmed=False)
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/review/"})
    assert "does not match" in wrong.content.decode()
    time.sleep(1.1)  # django-otp throttles the device for a second after a failure
    right = client.post(
        "/accounts/two-factor/setup/", {"token": current_code(device), "next": "/review/"}
    )
    assert right["Location"] == "/review/"
    assert client.get("/review/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditLog.objects.filter(actor=pharmacist, action="auth.2fa_enrolled").count() == 1


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
