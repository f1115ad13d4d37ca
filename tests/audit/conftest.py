from collections.abc import Iterator

import pytest
from django.core.cache import cache

from audit.chain import ANCHOR


@pytest.fixture(autouse=True)
def no_verified_head() -> Iterator[None]:
    """The verified head kept in Redis belongs to one test's rows: Redis outlives the tables."""
    cache.delete(ANCHOR)
    yield
    cache.delete(ANCHOR)
