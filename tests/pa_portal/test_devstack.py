"""The dev and test stack's own servers (pa_portal/devstack.py)."""

import subprocess
from pathlib import Path

from pa_portal.devstack import Redis, free_port, redis_answers, shutdown_redis, wait_for


def test_it_stops_a_redis_that_replaced_its_own_on_its_port(tmp_path: Path) -> None:
    """As the fault tests do: Redis is shut down and another started on the same port."""
    server = Redis(tmp_path / "first", free_port(), persist=False)
    shutdown_redis(server.port)
    server.proc.wait(10)
    replacement = subprocess.Popen(
        [str(server.binary), "--port", str(server.port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: redis_answers(server.port), "the replacement Redis")

        server.stop()

        assert replacement.wait(10) == 0
        assert not redis_answers(server.port)
    finally:
        if replacement.poll() is None:
            replacement.kill()
