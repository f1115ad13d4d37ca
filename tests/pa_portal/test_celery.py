import subprocess

import pytest
from django.conf import settings
from django.db import connection

from pa_portal.tasks import ping


def test_it_uses_redis_as_broker() -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_round_trips_a_task_through_redis_and_the_worker(
    celery_worker_process: subprocess.Popen[bytes],
) -> None:
    result = ping.delay().get(timeout=30)
    # The worker answered from its own process, on the same PostgreSQL test database as this one.
    assert result == {
        "pong": "ok",
        "vendor": "postgresql",
        "database": connection.settings_dict["NAME"],
    }
