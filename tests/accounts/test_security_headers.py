from django.test import Client

from accounts.models import User
from tests.conftest import client_for


def test_it_sends_a_strict_content_security_policy(db: None) -> None:
    policy = Client().get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy


def test_it_sends_the_other_security_headers(riverside: User) -> None:
    response = client_for(riverside).get("/clinic/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_it_requires_csrf_tokens_on_posts(riverside: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(riverside)
    assert client.post("/accounts/logout/").status_code == 403
