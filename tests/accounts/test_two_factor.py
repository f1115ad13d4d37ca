import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditLog
from tests.accounts.support import current_code, log_in
from tests.conftest import client_for
from tests.threads import wait_for_lock_wait


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


def _send_codes_at_once(
    clients: list[Client], code: str, held: type[StaticToken | TOTPDevice]
) -> list[int]:
    """Each client posts code at the same moment, while this test holds the row the code is
    checked against: every request reaches its check before any of them may finish."""
    statuses: list[int] = [0] * len(clients)

    def send(index: int) -> None:
        try:
            response = clients[index].post("/accounts/two-factor/", {"token": code, "next": "/"})
            statuses[index] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    with transaction.atomic():
        list(held.objects.select_for_update())
        for thread in threads:
            thread.start()
        wait_for_lock_wait(sessions=len(clients))
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_it_accepts_a_backup_code_once_when_two_sign_ins_send_it_at_once(
    pharmacist: User,
) -> None:
    TOTPDevice.objects.create(user=pharmacist, name="app", confirmed=True)
    backup = StaticDevice.objects.create(user=pharmacist, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcdefgh")
    clients = [log_in("phil"), log_in("phil")]

    statuses = _send_codes_at_once(clients, "abcdefgh", StaticToken)

    assert sorted(statuses) == [200, 302]  # one signed in, the other asked again
    verified = AuditLog.objects.filter(action="auth.2fa_verified", detail__method="backup_code")
    assert verified.count() == 1
    assert sum(client.get("/review/").status_code == 200 for client in clients) == 1


@pytest.mark.django_db(transaction=True)
def test_it_accepts_an_authenticator_code_once_when_two_sign_ins_send_it_at_once(
    director: User,
) -> None:
    device = TOTPDevice.objects.create(user=director, name="app", confirmed=True)
    clients = [log_in("dana"), log_in("dana")]

    statuses = _send_codes_at_once(clients, current_code(device), TOTPDevice)

    assert sorted(statuses) == [200, 302]
    assert AuditLog.objects.filter(action="auth.2fa_verified").count() == 1
