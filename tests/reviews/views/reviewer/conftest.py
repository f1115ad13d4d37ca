"""Fixtures for the reviewer workbench's view tests."""

from collections.abc import Iterator

import pytest

from .helpers import wait_for_letters


@pytest.fixture
def settled_letters() -> Iterator[None]:
    """For transaction=True tests that decide cases: see helpers.wait_for_letters."""
    yield
    wait_for_letters()
