"""Load a payer-sized data set into the benchmark database with COPY.

    users and clinics (ORM, a few hundred rows) -> a Planner builds every case in memory ->
    one COPY per table, rows in time order (ids follow time, as in a live system) ->
    sequences advanced past the copied ids -> VACUUM ANALYZE.

Run through bench/run.py, which points Django at the benchmark's own PostgreSQL first.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization, Role, User
from accounts.spelling import username_key
from accounts.validators import npi_is_valid
from tests.walls import walls_down

from . import rows as rows_
from .plan import People, Planner
from .variants import build_variants

PASSWORD = "bench-password-2026"
SEED = rows_.SEED
CLINICS = 50
STAFF_PER_CLINIC = 2
PHARMACISTS = 20
DIRECTORS = 3
AUDITORS = 2
MARKER = "bench_dataset"
CITIES = ("Riverside", "Lakeside", "Hillcrest", "Oakwood", "Fairview", "Cedar Falls", "Maple Grove",
          "Springfield", "Georgetown", "Franklin", "Clinton", "Madison", "Arlington", "Salem",
          "Ashland", "Bristol", "Dover", "Milton", "Newport", "Oxford", "Burlington", "Camden",
          "Dayton", "Easton", "Florence", "Greenville", "Hudson", "Jackson", "Kingston", "Lebanon",
          "Marion", "Norwood", "Plymouth", "Quincy", "Richmond", "Sheridan", "Troy", "Union City",
          "Vernon", "Windsor", "Yorktown", "Auburn", "Bedford", "Chester", "Denton", "Elgin",
          "Fulton", "Glendale", "Harlan", "Irvine")  # fmt: skip
KINDS = ("Hematology Associates", "Hemophilia Treatment Center", "Children's Hematology",
         "Blood Disorders Clinic", "Cancer & Blood Institute")  # fmt: skip


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    seconds: float


def valid_npi(payload: int) -> str:
    """A 10-digit NPI with its Luhn check digit, from a 9-digit payload."""
    head = f"{payload:09d}"
    return next(head + d for d in "0123456789" if npi_is_valid(head + d))


# --- the people ------------------------------------------------------------------------------


def make_organizations() -> list[Organization]:
    return Organization.objects.bulk_create(
        Organization(
            name=f"{CITIES[i]} {KINDS[i % len(KINDS)]}",
            npi=valid_npi(140_000_000 + i * 977),
            phone=f"555-{1000 + i:04d}",
        )
        for i in range(CLINICS)
    )


def make_users(orgs: list[Organization]) -> People:
    password = make_password(PASSWORD)  # hashed once: every bench user shares it

    def user(username: str, role: Role, org: Organization | None = None, **extra: Any) -> User:
        first, last = username.split("-", 1) if "-" in username else (username.title(), "Bench")
        return User(
            username=username,
            # bulk_create below skips User.save, which keeps the key otherwise.
            username_key=username_key(username),
            password=password,
            first_name=first.title(),
            last_name=last.title(),
            email=f"{username}@bench.example.org",
            role=role,
            organization=org,
            **extra,
        )

    staff = [
        user(f"clinic{n + 1:02d}-{letter}", Role.PRESCRIBER, org)
        for n, org in enumerate(orgs)
        for letter in "ab"[:STAFF_PER_CLINIC]
    ]
    payer = [
        *(
            user(f"pharm{n + 1:02d}", Role.PHARMACIST, credentials="PharmD")
            for n in range(PHARMACISTS)
        ),
        *(
            user(f"director{n + 1}", Role.MEDICAL_DIRECTOR, credentials="MD")
            for n in range(DIRECTORS)
        ),
        *(user(f"auditor{n + 1}", Role.AUDITOR) for n in range(AUDITORS)),
        user("admin", Role.ADMIN, is_staff=True, is_superuser=True),
    ]
    created = User.objects.bulk_create([*staff, *payer])
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=u, name="bench authenticator", confirmed=True)
        for u in created
        if u.role != Role.PRESCRIBER
    )
    # API tokens are issued when the load test starts (bench/run.py): only their hashes are
    # stored, so tokens made here could never be read back.
    clinic_staff: dict[int, list[int]] = {}
    for u in created:
        if u.organization_id is not None:
            clinic_staff.setdefault(u.organization_id, []).append(u.pk)
    return People(
        clinic_staff=clinic_staff,
        pharmacists=[u.pk for u in created if u.role == Role.PHARMACIST],
        directors=[u.pk for u in created if u.role == Role.MEDICAL_DIRECTOR],
        usernames={u.pk: u.username for u in created},
        roles={u.pk: u.role for u in created},
        clinic_of={u.pk: u.organization_id for u in created},
    )


# --- COPY ------------------------------------------------------------------------------------

# Every table the generator COPYs into, in the order it fills them (foreign keys first).
USER_ACCESS_ROWS = "accounts_user_access_audit_rows"
TABLES = (
    "reviews_patient",
    "reviews_case",
    "reviews_document",
    "reviews_requestforinformation",
    "reviews_checklistoverride",
    "reviews_decision",
    "reviews_authorization",
    "reviews_caseevent",
    "audit_auditlog",
)


def copy_rows(table: str, rows: Iterator[rows_.Row]) -> int:
    """Stream rows (dicts keyed by column) into table with COPY ... FROM STDIN."""
    first = next(rows, None)
    if first is None:
        return 0
    columns = list(first)
    written = 0
    # Table and column names are our own constants, never input.
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row[column] for column in columns])
            written += 1
    return written


def advance_sequences() -> None:
    """COPY wrote explicit ids: move each identity sequence past them, and the case-reference
    sequence past the highest case number, so the next insert does not collide."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constants
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        cursor.execute(
            "SELECT setval('reviews_case_reference_seq', "
            "(SELECT COALESCE(MAX(id), 0) + 1 FROM reviews_case), false)"
        )


# --- the whole load ---------------------------------------------------------------------------


def _log(message: str, started: float) -> None:
    print(f"    {message} ({time.monotonic() - started:.1f} s)", flush=True)


def generate(cases: int) -> Summary:
    """Plan and COPY a data set of `cases` cases in one transaction, then VACUUM ANALYZE."""
    started = time.monotonic()
    now = timezone.now()
    start = datetime(2024, 1, 2, 8, 0, tzinfo=timezone.get_current_timezone())
    counts: dict[str, int] = {}
    with transaction.atomic():
        orgs = make_organizations()
        # The synthetic history starts in 2024. The rows PostgreSQL writes for new users
        # (accounts 0006) would be stamped today and stand first in the audit chain, which
        # never lets time run backwards along it: every later row would be moved to today.
        with walls_down("accounts_user", USER_ACCESS_ROWS):
            people = make_users(orgs)
        planner = Planner(
            cases, [o.pk for o in orgs], people, build_variants(now.date()), now, start, SEED
        )
        planner.plan()
        _log(f"planned {len(planner.cases):,} cases, {len(planner.patients):,} patients", started)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")
        npis = [valid_npi(150_000_000 + n * 131) for n in range(8)]
        timed = rows_.timed_events(planner)
        for table, rows in (
            ("reviews_patient", rows_.patients(planner)),
            ("reviews_case", rows_.cases(planner, npis)),
            ("reviews_document", rows_.documents(planner)),
            ("reviews_requestforinformation", rows_.rfis(planner)),
            ("reviews_checklistoverride", rows_.overrides(planner)),
            ("reviews_decision", rows_.decisions(planner)),
            ("reviews_authorization", rows_.authorizations(planner, npis)),
            ("reviews_caseevent", rows_.events(timed, people)),
            ("audit_auditlog", rows_.audit(rows_.audit_entries(timed, planner, people), people)),
        ):
            counts[table] = copy_rows(table, rows)
            _log(f"copied {counts[table]:,} rows into {table}", started)
        advance_sequences()
    _log("committed", started)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    _log("vacuumed and analyzed", started)
    summary = Summary(counts=counts, seconds=time.monotonic() - started)
    write_marker(cases, summary)
    return summary


def write_marker(cases: int, summary: Summary) -> None:
    """Remember what was generated, so --reuse can tell a finished data set from a broken one."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (cases integer, seed integer, "
            "generated_at timestamptz, seconds real, counts jsonb)"
        )
        cursor.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s, now(), %s, %s)",  # noqa: S608 - a constant
            [cases, SEED, summary.seconds, json.dumps(summary.counts)],
        )


def existing_dataset() -> dict[str, Any] | None:
    """The marker of a finished data set in this database, if any."""
    latest = f"SELECT cases, seconds, counts FROM {MARKER} ORDER BY generated_at DESC LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return None
        cursor.execute(latest)
        found = cursor.fetchone()
    if found is None:
        return None
    counts = json.loads(found[2]) if isinstance(found[2], str) else found[2]
    return {"cases": found[0], "seconds": found[1], "counts": counts}
