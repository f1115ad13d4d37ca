"""Fixtures for the journeys. The session's Chromium and the `page` fixture are in tests/conftest.py."""

from collections.abc import Iterator

import pytest

from tests.reviews.views.reviewer.helpers import wait_for_letters


@pytest.fixture(autouse=True)
def settled_letters() -> Iterator[None]:
    """Journeys decide cases: let a running worker finish their letters before the flush."""
    yield
    wait_for_letters()
