"""Sign-in throttling without a lock-out weapon (issue 15, accounts/lockout.py): a username is
locked only at the address that failed 5 times; many addresses meet a growing per-username
delay, never a lock, and never at the owner's own address; the owner sees the failures."""

import time

from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.accounts.support import attempt, current_code, log_in
from tests.conftest import PASSWORD

OTHER_ADDRESSES = [f"10.0.0.{n}" for n in range(1, 12)]


def test_it_does_not_lock_out_a_user_for_failures_from_five_addresses(riverside: User) -> None:
    for ip in OTHER_ADDRESSES[:5]:
        assert attempt("wrong-password", ip=ip) == 200

    assert attempt(PASSWORD, ip="192.0.2.6") == 302  # a sixth address: the owner gets in
    assert attempt(PASSWORD, ip=OTHER_ADDRESSES[0]) == 302  # and so from each of those


def test_it_locks_the_username_at_the_address_that_failed_five_times(
    riverside: User, lakeside: User
) -> None:
    for _ in range(4):
        assert attempt("wrong-password", ip="203.0.113.9") == 200
    assert attempt("wrong-password", ip="203.0.113.9") == 429  # the fifth failure locks the pair

    locked = Client(REMOTE_ADDR="203.0.113.9").post(
        "/accounts/login/", {"username": "riverside", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    # Only that pair: the owner elsewhere, and another user at that address, get in.
    assert attempt(PASSWORD, ip="198.51.100.1") == 302
    assert attempt(PASSWORD, username="lakeside", ip="203.0.113.9") == 302


def test_it_resets_the_count_after_a_good_login(riverside: User) -> None:
    for _ in range(4):
        attempt("wrong-password")
    assert attempt(PASSWORD) == 302
    for _ in range(4):
        assert attempt("wrong-password") == 200


def login_at(ip: str, password: str) -> tuple[int, int | None]:
    response = Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": "riverside", "password": password}
    )
    retry = response.get("Retry-After")
    return response.status_code, int(retry) if retry else None


@override_settings(LOGIN_USERNAME_DELAY_AFTER=10)
def test_it_slows_a_username_guessed_from_many_addresses_with_a_growing_delay(
    riverside: User,
) -> None:
    for ip in OTHER_ADDRESSES[:10]:
        assert attempt("wrong-password", ip=ip) == 200

    # The tenth failure: each attempt now waits 1 s after the latest failure...
    assert login_at("192.0.2.50", PASSWORD) == (429, 1)
    time.sleep(1.1)
    assert login_at("192.0.2.51", "wrong-password") == (200, None)  # the 11th failure
    # ...then 2 s; refused attempts in between do not count, so hammering does not grow it.
    assert login_at("192.0.2.52", "wrong-password") == (429, 2)
    assert login_at("192.0.2.53", "wrong-password") == (429, 2)
    time.sleep(2.1)
    # Never a lock: once the wait is over the right password works from a new address.
    assert login_at("192.0.2.54", PASSWORD) == (302, None)
    # And a sign-in starts the count again.
    assert attempt("wrong-password", ip="192.0.2.55") == 200


@override_settings(LOGIN_USERNAME_DELAY_AFTER=10)
def test_it_never_delays_the_owner_at_an_address_they_signed_in_from(riverside: User) -> None:
    assert attempt(PASSWORD, ip="198.51.100.7") == 302  # the owner's usual address
    for ip in OTHER_ADDRESSES[:11]:
        attempt("wrong-password", ip=ip)

    assert login_at("192.0.2.60", PASSWORD)[0] == 429  # a stranger's address waits
    assert login_at("198.51.100.7", PASSWORD) == (302, None)  # the owner does not


def test_it_shows_the_owner_the_failed_attempts_after_signing_in(riverside: User) -> None:
    for ip in ("203.0.113.21", "203.0.113.22", "203.0.113.23"):
        attempt("wrong-password", ip=ip)

    client = log_in("riverside", ip="198.51.100.2")
    page = client.get("/clinic/")

    assert "3 failed sign-in attempts on your account since you last signed in" in page.text
    assert "203.0.113.23" in page.text
    account = client.get("/accounts/security/")
    for ip in ("203.0.113.21", "203.0.113.22", "203.0.113.23"):
        assert ip in account.text
    # Said once: the next sign-in has nothing new to report.
    assert "failed sign-in" not in log_in("riverside", ip="198.51.100.2").get("/clinic/").text


def test_it_tells_payer_staff_only_after_the_second_factor(pharmacist: User) -> None:
    device = TOTPDevice.objects.create(user=pharmacist, name="app", confirmed=True)
    attempt("wrong-password", username="phil", ip="203.0.113.30")
    client = log_in("phil", ip="198.51.100.3")

    verify = client.get("/accounts/two-factor/?next=/review/")
    assert "failed sign-in" not in verify.text  # a password alone learns nothing
    client.post("/accounts/two-factor/", {"token": current_code(device), "next": "/review/"})
    assert "1 failed sign-in attempt on your account" in client.get("/review/").text


@override_settings(SESSION_COOKIE_AGE=1)
def test_it_expires_sessions_after_inactivity(riverside: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "riverside", "password": PASSWORD})
    time.sleep(2)
    response = client.get("/clinic/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
