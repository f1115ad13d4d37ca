"""The unique indexes on member keys that existing data may not allow yet.

Migration 0007 gives every patient, case and authorization the canonical member key. Where two
rows that were apart under the typed member IDs become one key (two active authorizations for
``FEP-1`` and ``fep-1``; one clinic's two patient records for them), the unique index cannot be
built, and nothing is voided or merged by a machine: the rows are reported, and
``manage.py member_keys`` builds each index once an administrator has resolved its collisions
(README: "Member keys"). Until then the services still refuse a second approval for the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AUTHORIZATION_INDEX = "one_active_hemgenix_authorization_per_member_key"
PATIENT_CONSTRAINT = "patient_member_key_unique_per_clinic"


@dataclass(frozen=True)
class Collision:
    index: str
    key: str
    rows: list[str]  # human-readable: authorization numbers, or patients with their clinic

    def describe(self) -> str:
        return f"{self.index}: member key {self.key} is shared by {', '.join(self.rows)}"


_AUTHORIZATIONS = """
    SELECT a.member_key, array_agg(a.number || ' (case ' || c.reference || ', typed '
                                   || a.member_id || ')' ORDER BY a.id)
    FROM reviews_authorization a JOIN reviews_case c ON c.id = a.case_id
    WHERE a.state = 'active' GROUP BY a.member_key HAVING count(*) > 1 ORDER BY 1
"""
_PATIENTS = """
    SELECT o.name || ' / ' || p.member_key, array_agg('patient ' || p.id || ' typed '
                                                       || p.member_id ORDER BY p.id)
    FROM reviews_patient p JOIN accounts_organization o ON o.id = p.organization_id
    GROUP BY o.name, p.organization_id, p.member_key HAVING count(*) > 1 ORDER BY 1
"""
_BUILD = {
    AUTHORIZATION_INDEX: (
        _AUTHORIZATIONS,
        f"CREATE UNIQUE INDEX {AUTHORIZATION_INDEX} ON reviews_authorization (member_key) "
        "WHERE state = 'active'",
    ),
    PATIENT_CONSTRAINT: (
        _PATIENTS,
        f"ALTER TABLE reviews_patient ADD CONSTRAINT {PATIENT_CONSTRAINT} "
        "UNIQUE (organization_id, member_key)",
    ),
}


def collisions(cursor: Any) -> list[Collision]:
    found = []
    for index, (query, _) in _BUILD.items():
        cursor.execute(query)
        found += [Collision(index, key, list(rows)) for key, rows in cursor.fetchall()]
    return found


def missing(cursor: Any) -> list[str]:
    cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [list(_BUILD)])
    present = {name for (name,) in cursor.fetchall()}
    return [name for name in _BUILD if name not in present]


def build_missing(cursor: Any) -> tuple[list[str], list[Collision]]:
    """Build each missing index whose rows no longer collide: (built, still colliding)."""
    found = collisions(cursor)
    blocked = {c.index for c in found}
    built = [name for name in missing(cursor) if name not in blocked]
    if built:
        # Deferred foreign-key checks still pending in this transaction would block the DDL.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name in built:
        cursor.execute(_BUILD[name][1])
    return built, found
