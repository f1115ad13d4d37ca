"""Fixtures for the reviewer workbench's view tests."""

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The demo users' passwords are hashed in every test; these tests log in without them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
