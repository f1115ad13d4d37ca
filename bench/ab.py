"""A/B of one runtime switch on the hot paths, in one process: python bench/ab.py SWITCH

The paths of bench/profile.py (queue, case page, clinic list, API create-and-submit, claim and
approve) on the 100,000-case data set, each measured with the switch off and on in alternating
rounds (off-on, then on-off), reporting medians of CPU ms per request: this process's
(time.process_time: the Django side of a request) and its PostgreSQL backend's (/proc/<pid>/stat,
in clock ticks of 10 ms, so use 40 requests a round or more). Alternating in one process lets
the other tenants of this machine slow both sides alike, which two separate runs do not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from pa_portal.devstack import log  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def server_side_binding(on: bool) -> None:
    """Off: client-side binding, nothing prepared (Django's default, and this project's before
    the fifth pass of issue 20). On: parameters bound by the server, statements prepared on their
    second run (the settings' default)."""
    from django.db import connection

    connection.close()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["server_side_binding"] = on
    options["prepare_threshold"] = 1 if on else None


def custom_plans(on: bool) -> None:
    """Both prepared; on: planned for each run's values (plan_cache_mode=force_custom_plan)
    instead of PostgreSQL's choice of a generic plan after five runs."""
    from django.db import connection

    connection.close()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options.update(server_side_binding=True, prepare_threshold=1)
    if on:
        options["options"] = "-c plan_cache_mode=force_custom_plan"
    else:
        options.pop("options", None)


_OVERRIDES: dict[str, Any] = {}


def setting(name: str, off_value: Any, on_value: Any) -> Callable[[bool], None]:
    def switch(on: bool) -> None:
        from django.db import connection
        from django.test.utils import override_settings

        if name in _OVERRIDES:
            _OVERRIDES.pop(name).disable()
        override = override_settings(**{name: on_value if on else off_value})
        override.enable()
        _OVERRIDES[name] = override
        connection.close()

    return switch


def gc_threshold(on: bool) -> None:
    import gc

    gc.set_threshold(*((50_000, 50, 100) if on else (700, 10, 10)))


SWITCHES: dict[str, Callable[[bool], None]] = {
    "gc_threshold": gc_threshold,
    "server_side_binding": server_side_binding,
    "custom_plans": custom_plans,
    "no_i18n": setting("USE_I18N", True, False),
}


def measure(call: Callable[[int], Any], start: int, requests: int) -> tuple[float, float]:
    pg0, cpu0 = backend_cpu(), time.process_time()
    for i in range(requests):
        response = call(start + i)
        if response.status_code not in (200, 201, 302):
            raise RuntimeError(f"HTTP {response.status_code}")
    cpu = time.process_time() - cpu0
    return cpu * 1000 / requests, (backend_cpu() - pg0) * 1000 / requests


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("switch", choices=sorted(SWITCHES))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--only", action="append")
    args = parser.parse_args(argv)
    switch = SWITCHES[args.switch]
    with ExitStack() as servers:
        pg = stack.start(servers)
        from bench.profile import WARMUP, paths
        from bench.run import prepare, use_working_copy

        prepare(pg, argparse.Namespace(cases=100_000, reuse=True))
        use_working_copy(pg)
        calls = paths(args.requests * args.rounds * 2 + 100)
        for name, call in calls.items():
            if args.only and name not in args.only:
                continue
            offset = 0
            results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            for on in (False, True):
                switch(on)
                for i in range(WARMUP):
                    call(offset + i)
                offset += WARMUP
            for round_ in range(args.rounds):
                for on in (False, True) if round_ % 2 == 0 else (True, False):
                    switch(on)
                    call(offset)  # connect outside the measurement
                    offset += 1
                    results[on].append(measure(call, offset, args.requests))
                    offset += args.requests
            off = [statistics.median(x) for x in zip(*results[False], strict=True)]
            on_ = [statistics.median(x) for x in zip(*results[True], strict=True)]
            log(
                f"{name}: app CPU {off[0]:.2f} -> {on_[0]:.2f} ms ({on_[0] / off[0]:.2f}x), "
                f"PostgreSQL {off[1]:.2f} -> {on_[1]:.2f} ms"
            )
        from django.db import connection

        connection.close()
        stack.drop_working_copy(pg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
