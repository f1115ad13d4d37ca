"""The payer-scale benchmark: python bench/run.py [--cases 100000] [--reuse] [--skip-load]

Starts the benchmark's own PostgreSQL (.local/bench-pgdata) and Redis, migrates, generates the
data set (or reuses the one already there with --reuse), then measures:

  1. EXPLAIN ANALYZE of the slow queries, with and without the bench indexes;
  2. server-side latency (p50/p95) and SQL queries of each page, in-process (Django's test
     Client), the reviewer queue beside the admin changelist of the same cases;
  3. API submissions per second through gunicorn (2 workers) over loopback.

Results go to bench/results.md and bench/results.json. Never part of ./test.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from pa_portal.devstack import log  # noqa: E402

RESULTS_MD = ROOT / "bench" / "results.md"
RESULTS_JSON = ROOT / "bench" / "results.json"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to generate")
    parser.add_argument(
        "--reuse", action="store_true", help="keep a data set of this size already generated"
    )
    parser.add_argument("--iterations", type=int, default=60, help="timed requests per page")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="API load duration")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn load test")
    parser.add_argument("--skip-explain", action="store_true", help="no EXPLAIN ANALYZE")
    parser.add_argument(
        "--serve", action="store_true", help="only start the servers (for psql), until Ctrl-C"
    )
    return parser.parse_args(argv)


def prepare(pg: stack.Postgres, args: argparse.Namespace) -> dict[str, object]:
    """A migrated database holding a finished data set of args.cases cases."""
    import django

    django.setup()
    # django-axes logs every forced login at INFO; the benchmark logs in a few hundred times.
    logging.getLogger("axes").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import existing_dataset, generate

    found = existing_dataset() if _database_ready() else None
    if args.reuse and found is not None and found["cases"] == args.cases:
        log(f"reusing the generated data set ({args.cases:,} cases)")
        if _migrations_pending():
            call_command("migrate", "--noinput", verbosity=0)
            # A data migration's updates leave pages that index-only scans must visit again (an
            # unfiltered count(*) took 24 ms instead of 2); a live database's autovacuum would
            # have set them visible again, as generate() does after its COPY.
            log("migrated the data set; VACUUM (ANALYZE)")
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
        return found
    connection.close()
    stack.drop_database(pg)
    log("migrating a fresh benchmark database")
    call_command("migrate", "--noinput", verbosity=0)
    log(f"generating {args.cases:,} cases")
    summary = generate(args.cases)
    return {"cases": args.cases, "seconds": summary.seconds, "counts": summary.counts}


def _migrations_pending() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def use_working_copy(pg: stack.Postgres) -> None:
    """Measure in a copy of the data set, so the data set itself stays as generated."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    stack.working_copy(pg)
    for config in (settings.DATABASES["default"], connection.settings_dict):
        config["NAME"] = stack.RUN_DBNAME
    log(f"measuring in a fresh copy of the data set ({stack.RUN_DBNAME})")


def _database_ready() -> bool:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError:
        return False
    return True


def measure_pages(iterations: int) -> tuple[list[Any], list[tuple[Any, Any]]]:
    from bench import pages

    groups = [pages.reviewer_pages(), pages.clinic_pages(), pages.audit_pages(), [pages.api_page()]]
    results = []
    for page in (p for group in groups for p in group):
        results.append(pages.measure(page, iterations))
        log(f"{page.name}: p95 {results[-1].p95_ms:.1f} ms, {results[-1].queries} queries")
    pairs = []
    for queue, admin in pages.queue_versus_admin():
        pairs.append((pages.measure(queue, iterations), pages.measure(admin, iterations)))
        log(f"{queue.name}: {pairs[-1][0].p50_ms:.1f} ms; admin {pairs[-1][1].p50_ms:.1f} ms")
    return results, pairs


def measure_throughput(seconds: float) -> Any:
    from django.db import connection

    from accounts.models import Role, User
    from accounts.tokens import issue_token
    from bench.throughput import run_load

    # A token for each clinic's staff member, as an integration would hold (stored hashed).
    staff = User.objects.filter(role=Role.PRESCRIBER).order_by("pk")
    tokens = [issue_token(user, "bench load")[1] for user in staff]
    connection.close()  # gunicorn's workers get the database to themselves
    log(f"API load: gunicorn, {seconds:.0f} s")
    result = run_load(ROOT, tokens, seconds)
    log(f"API load: {result.rps:.1f} submissions/s, p95 {result.p95_ms:.0f} ms")
    return result


def serve() -> None:
    """Keep the servers up for EXPLAIN by hand (psql or manage.py dbshell) until Ctrl-C."""
    log(f"DATABASE_URL={os.environ['DATABASE_URL']}")
    log(f"REDIS_URL={os.environ['REDIS_URL']}")
    log("serving until Ctrl-C (or SIGTERM)")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the servers either way
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def main(argv: list[str]) -> int:
    args = parse(argv)
    started = time.monotonic()
    load_before = os.getloadavg()
    with ExitStack() as servers:
        pg = stack.start(servers)
        dataset = prepare(pg, args)
        if args.serve:
            serve()
            return 0
        use_working_copy(pg)
        from bench import explain, report

        plans = [] if args.skip_explain else explain.compare()
        results, pairs = measure_pages(args.iterations)
        load = None if args.skip_load else measure_throughput(args.load_seconds)
        text = report.write(
            RESULTS_MD,
            RESULTS_JSON,
            dataset=dataset,
            pages=results,
            pairs=pairs,
            load=load,
            explain=plans,
            load_before=load_before,
        )
        stack.drop_working_copy(pg)
    print(text)
    log(f"done in {time.monotonic() - started:.0f} s; written to {RESULTS_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
