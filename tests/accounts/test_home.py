import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import client_for


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("riverside", "/clinic/"),
        ("lakeside", "/clinic/"),
        ("phil", "/review/"),
        ("dana", "/review/"),
        ("audrey", "/audit/"),
        ("admin", "/audit/"),
    ],
)
def test_it_sends_each_role_to_its_home_page(
    users: dict[str, User], username: str, home: str
) -> None:
    client = client_for(users[username])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert users[username].display_name in page.content.decode()


def test_it_sends_anonymous_users_to_login(db: None) -> None:
    for url in ["/", "/clinic/", "/review/", "/audit/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_it_refuses_other_roles_home_pages(riverside: User, pharmacist: User) -> None:
    assert client_for(riverside).get("/review/").status_code == 403
    assert client_for(riverside).get("/audit/").status_code == 403
    assert client_for(pharmacist).get("/clinic/").status_code == 403


def test_it_logs_in_with_a_password(riverside: User) -> None:
    from tests.conftest import PASSWORD

    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "riverside", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/clinic/"
    bad = Client().post("/accounts/login/", {"username": "riverside", "password": "nope"})
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in bad.content.decode()


def test_it_serves_health_without_login(db: None) -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}
