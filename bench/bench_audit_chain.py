"""What the audit log's hash chain costs a write: python bench/bench_audit_chain.py [writes]

On a throwaway embedded PostgreSQL (the portal's migrations, the application's role), it times
audit.log.record() with the chain (the BEFORE INSERT trigger: advisory lock, the head's row,
SHA-256) and without it (the same table with the trigger off and the chain_seq uniqueness
dropped, as before migration audit 0006):

1. one writer, one autocommitted row a time: microseconds per write (median and mean); many
   rows in one transaction (no commit in the figure); and 20,000 rows by one INSERT … SELECT
   in PostgreSQL itself (the trigger's own cost, no client in the figure);
2. four writers at once, one row per transaction: rows per second;
3. four writers at once whose transactions stay open 2 ms after writing their row (other work
   before commit): rows per second. The chain's lock is held until commit, so these commit one
   at a time; this is the cost of a chain that stays correct under concurrent writers.

Rounds alternate the chain on and off, so the machine's other load falls on both; the best
round of each. Then it times audit_verify's walk over the rows written.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pa_portal.devstack import (  # noqa: E402
    Postgres,
    Redis,
    as_owner,
    free_port,
    log,
    manage,
    role_of,
)

ROUNDS = 3
WRITERS = 4
HOLD_SECONDS = 0.002


def one_writer(writes: int) -> tuple[float, float]:
    """Median and mean microseconds of one autocommitted record()."""
    from audit.log import record

    times = []
    for n in range(writes):
        start = time.perf_counter()
        record(action="bench.write", actor=None, detail={"n": n, "case": "PA-2026-000123"})
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6, statistics.fmean(times) * 1e6


def rows_in_one_transaction(writes: int) -> float:
    """Microseconds per record() when many share one transaction: no commit in the figure."""
    from django.db import transaction

    from audit.log import record

    start = time.perf_counter()
    with transaction.atomic():
        for n in range(writes):
            record(action="bench.batch", actor=None, detail={"n": n, "case": "PA-2026-000123"})
    return (time.perf_counter() - start) / writes * 1e6


def writers_at_once(writes_each: int, hold: float) -> float:
    """Rows per second with WRITERS threads, one row per transaction held `hold` s after it."""
    from django.db import connection, transaction

    from audit.log import record

    barrier = threading.Barrier(WRITERS + 1)

    def work() -> None:
        barrier.wait()
        for n in range(writes_each):
            with transaction.atomic():
                record(action="bench.concurrent", actor=None, detail={"n": n})
                if hold:
                    time.sleep(hold)
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return WRITERS * writes_each / (time.perf_counter() - start)


def owner_sql(owner_url: str, *statements: str) -> float:
    """Run statements as the bench database's owner; seconds the last one took."""
    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as owner:
        for statement in statements:
            start = time.perf_counter()
            owner.execute(statement)
    return time.perf_counter() - start


def chain(owner_url: str, on: bool) -> None:
    """Switch the chain on, or off as before audit 0006 (the bench's own database only)."""
    if on:
        owner_sql(
            owner_url,
            "ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only",
            "DELETE FROM audit_auditlog WHERE chain_seq = 0",  # the rows written without it
            "ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only",
            "ALTER TABLE audit_auditlog ADD CONSTRAINT audit_chain_seq_unique UNIQUE (chain_seq)",
            "ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_chain",
        )
    else:
        owner_sql(
            owner_url,
            "ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_chain",
            "ALTER TABLE audit_auditlog DROP CONSTRAINT audit_chain_seq_unique",
        )


SERVER_ROWS = 20_000
SERVER_INSERT = f"""
INSERT INTO audit_auditlog (at, actor_username, actor_role, action, object_type, object_id,
    user_agent, detail)
SELECT clock_timestamp(), 'phil', 'pharmacist', 'case.view', 'case', g::text,
    'Mozilla/5.0 (X11; Linux x86_64)', jsonb_build_object('n', g, 'page', 'review')
FROM generate_series(1, {SERVER_ROWS}) g
"""  # noqa: S608 - a constant


def measure(writes: int, owner_url: str) -> dict[str, dict[str, float]]:
    """Rounds alternate chain on and off (the machine's other load falls on both); the best
    round of each figure for each."""
    figures: dict[str, dict[str, list[float]]] = {"with": {}, "without": {}}
    for _ in range(ROUNDS):
        for state in ("without", "with"):  # the chain is on at the start and at the end
            chain(owner_url, on=state == "with")
            owner_sql(owner_url, "VACUUM ANALYZE audit_auditlog")  # after the switch's DELETE
            median, mean = one_writer(writes)
            row = figures[state]
            row.setdefault("median", []).append(median)
            row.setdefault("mean", []).append(mean)
            row.setdefault("batched", []).append(rows_in_one_transaction(writes))
            server = owner_sql(owner_url, SERVER_INSERT) / SERVER_ROWS * 1e6
            row.setdefault("server", []).append(server)
            row.setdefault("concurrent", []).append(writers_at_once(writes // WRITERS, 0.0))
            row.setdefault("held", []).append(writers_at_once(100, HOLD_SECONDS))
    higher = {"concurrent", "held"}
    return {
        state: {k: (max(v) if k in higher else min(v)) for k, v in row.items()}
        for state, row in figures.items()
    }


def report(results: dict[str, dict[str, float]]) -> None:
    for state, r in results.items():
        print(
            f"  {state + ' chain':<13} one writer: median {r['median']:5.0f} µs, "
            f"mean {r['mean']:5.0f} µs; in one transaction {r['batched']:4.0f} µs; "
            f"server-side INSERT … SELECT {r['server']:5.1f} µs/row | {WRITERS} writers: "
            f"{r['concurrent']:5.0f} rows/s, holding {HOLD_SECONDS * 1000:.0f} ms: "
            f"{r['held']:4.0f} rows/s",
            flush=True,
        )
    w, wo = results["with"], results["without"]
    print(
        f"  the chain costs {w['server'] - wo['server']:.1f} µs per row in PostgreSQL, "
        f"{w['batched'] - wo['batched']:.0f} µs per record() in a transaction, "
        f"{w['median'] - wo['median']:.0f} µs per autocommitted record() (medians); "
        f"{WRITERS} writers: {w['concurrent'] / wo['concurrent']:.0%} of the throughput "
        f"without it, {w['held'] / wo['held']:.0%} when transactions stay open "
        f"{HOLD_SECONDS * 1000:.0f} ms after writing"
    )


def main() -> int:
    writes = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    base = Path(tempfile.mkdtemp(prefix="pa-bench-chain-"))
    with ExitStack() as stack:
        pg = Postgres(base / "pgdata", "pa_portal")
        stack.callback(pg.stop)
        redis = Redis(base / "redis", free_port(), persist=False)
        stack.callback(redis.stop)
        os.environ["REDIS_URL"] = redis.url
        env = {**os.environ, "DATABASE_URL": pg.app_url, "DATABASE_OWNER_URL": pg.owner_url}
        log("migrating the bench database")
        manage(as_owner(env), "migrate", "--noinput", "-v", "0")
        os.environ.update(DATABASE_URL=pg.app_url, DJANGO_SETTINGS_MODULE="pa_portal.settings")
        import django

        django.setup()
        log(f"writing as {role_of(pg.app_url)}: {writes} rows a measure, best of {ROUNDS} rounds")
        results = measure(writes, pg.owner_url)
        report(results)

        from audit.chain import verify
        from audit.models import AuditLog

        rows = AuditLog.objects.count()
        start = time.perf_counter()
        result = verify()
        seconds = time.perf_counter() - start
        assert result.ok, result.problem
        print(f"  verify: {rows:,} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
