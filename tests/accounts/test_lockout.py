from django.test import Client, override_settings

from accounts.models import User
from tests.conftest import PASSWORD


def attempt(password: str, username: str = "riverside", ip: str = "127.0.0.1") -> int:
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code


def test_it_locks_a_username_after_five_failures(riverside: User) -> None:
    for _ in range(4):
        assert attempt("wrong-password") == 200  # the form again, with its error
    assert attempt("wrong-password") == 429  # the fifth failure locks
    # Locked: even the right password is refused, from any address.
    assert attempt(PASSWORD) == 429
    assert attempt(PASSWORD, ip="10.1.2.3") == 429


def test_it_locks_an_address_that_guesses_many_usernames(riverside: User, lakeside: User) -> None:
    for name in ["riverside", "lakeside", "phil", "nobody", "admin"]:
        attempt("wrong-password", username=name, ip="10.9.9.9")
    assert attempt(PASSWORD, username="lakeside", ip="10.9.9.9") == 429
    # Another address is not affected, and neither is the other clinic's account.
    assert attempt(PASSWORD, username="lakeside", ip="10.0.0.2") == 302


def test_it_does_not_lock_other_users(riverside: User, lakeside: User) -> None:
    for _ in range(5):
        attempt("wrong-password")
    assert attempt(PASSWORD, username="lakeside", ip="10.0.0.2") == 302


def test_it_resets_the_count_after_a_good_login(riverside: User) -> None:
    for _ in range(4):
        attempt("wrong-password")
    assert attempt(PASSWORD) == 302
    for _ in range(4):
        assert attempt("wrong-password") == 200


@override_settings(SESSION_COOKIE_AGE=1)
def test_it_expires_sessions_after_inactivity(riverside: User) -> None:
    import time

    client = Client()
    client.post("/accounts/login/", {"username": "riverside", "password": PASSWORD})
    time.sleep(2)
    response = client.get("/clinic/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
