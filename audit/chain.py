"""The audit log's hash chain: walk it, say where it breaks, and keep the result.

PostgreSQL writes the chain (the BEFORE INSERT trigger of migration 0006): each row has its
position (chain_seq 1, 2, 3 ... without gaps), the previous row's hash (prev_hash; 64 zeros for the
first) and row_hash = sha256(prev_hash + its content). Its time never runs backwards along the
chain. This module recomputes every hash in Python, independently of the database's function:

- a row whose content (or hash) was changed no longer matches its hash;
- a removed row leaves a gap in the positions, and the next row links to a hash nobody has;
- a row slipped in around the trigger has no hash of its own, a position outside the chain, or a
  time earlier than the row before it;
- the newest rows removed: the last verification's head (its position and hash, kept in Redis as
  well as in the log) is gone.

Without a key held outside the database, an owner who rewrites a row and then every later hash
leaves a consistent chain; the head's hash recorded at each verification (in Redis, in the log and
in the worker's output) no longer matches such a rewrite of anything verified before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

GENESIS = "0" * 64
VERIFIED = "audit.chain_verified"
BATCH = 5000
ANCHOR = "audit:chain:verified-head"
logger = logging.getLogger("audit.chain")

# The content the hash covers, in the order of audit_auditlog_row_hash() (migration 0006).
# A new AuditLog column is not covered until both say so.
COLUMNS = (
    "chain_seq, id, at, actor_id, actor_username, actor_role, organization_id, action, "
    "object_type, object_id, case_id, host(ip), user_agent, detail::text, prev_hash, row_hash"
)


@dataclass(frozen=True)
class Link:
    seq: int
    id: int
    at: datetime
    prev_hash: str
    row_hash: str
    content: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Link:
        seq, pk, at = row[0], row[1], row[2]
        fields = [str(seq), str(pk), at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
        fields += ["" if value is None else str(value) for value in row[3:14]]
        return cls(seq, pk, at, row[14], row[15], tuple(fields))

    def expected_hash(self) -> str:
        text = "".join(f"{len(field)}:{field};" for field in self.content)
        return hashlib.sha256((self.prev_hash + text).encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    first_bad_id: int | None = None
    problem: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.rows} rows, head {self.head_seq} {self.head_hash}"
        return f"audit chain broken: {self.problem}"


def links(after: int = -(2**63)) -> Iterator[Link]:
    """Every row in chain order, a batch at a time (keyset pages on the chain_seq index)."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {COLUMNS} FROM audit_auditlog WHERE chain_seq > %s "  # noqa: S608 - constant
                "ORDER BY chain_seq LIMIT %s",
                [after, BATCH],
            )
            rows = cursor.fetchall()
        yield from (Link.from_row(row) for row in rows)
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def break_between(before: Link | None, link: Link) -> str:
    """Why link does not follow before, or "" if it does."""
    where = f"row {before.id} (position {before.seq})" if before else "the start of the chain"
    expected_seq = before.seq + 1 if before else 1
    if link.row_hash != link.expected_hash():
        return f"row {link.id} does not match its hash: it was changed, or written around the chain"
    if link.seq < expected_seq:
        return f"row {link.id} was inserted out of order: position {link.seq} after {where}"
    if link.seq > expected_seq:
        missing = f"{expected_seq}" + (f"-{link.seq - 1}" if link.seq - 1 > expected_seq else "")
        return f"position {missing} was removed: between {where} and row {link.id}"
    if link.prev_hash != (before.row_hash if before else GENESIS):
        return (
            f"row {link.id} does not link to {where}: one of them was rewritten, "
            "or a row was removed and the chain renumbered"
        )
    if before is not None and link.at < before.at:
        return f"row {link.id} was inserted out of order: its time is before {where}'s"
    return ""


def verify() -> Verification:
    """Walk the whole chain; stop at the first break. Then check the last verified head."""
    before: Link | None = None
    rows = 0
    for link in links():
        problem = break_between(before, link)
        if problem:
            return Verification(False, rows, *_head(before), link.id, problem)
        before, rows = link, rows + 1
    problem = _lost_head(before)
    if problem:
        return Verification(False, rows, *_head(before), None, problem)
    return Verification(True, rows, *_head(before))


def _head(link: Link | None) -> tuple[int, str]:
    return (link.seq, link.row_hash) if link else (0, GENESIS)


def _lost_head(head: Link | None) -> str:
    """Removing the newest rows leaves no trace in the chain itself. The head that the last
    verification saw is kept outside PostgreSQL too (in Redis, the cache), so it must still be
    there, unchanged. Rows written since then have only the database's privileges to guard them.
    """
    anchor = _cache_call(cache.get, ANCHOR)
    if not anchor:
        return ""
    seq, digest, seen = int(anchor["seq"]), str(anchor["hash"]), str(anchor["at"])
    if head is None or head.seq < seq:
        return f"position {seq}, the head verified at {seen}, was removed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_hash FROM audit_auditlog WHERE chain_seq = %s", [seq])
        row = cursor.fetchone()
    if row is None or row[0] != digest:
        return f"position {seq}, the head verified at {seen}, was changed"
    return ""


def _cache_call(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The Redis copy of the head is a second witness, not a requirement: a verification still
    runs, on the chain alone, while Redis is down."""
    try:
        return call(*args, **kwargs)
    except Exception:  # redis-py's errors; the cache backend does not wrap them
        logger.warning("audit chain: Redis unavailable, the verified head is not compared")
        return None


def verify_and_record() -> Verification:
    """verify(), then one audit row with the result (the auditor's pages show the latest)."""
    from .log import record

    result = verify()
    (logger.info if result.ok else logger.error)("%s", result.summary())
    if result.ok and result.head_seq:
        seen = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        anchor = {"seq": result.head_seq, "hash": result.head_hash, "at": seen}
        _cache_call(cache.set, ANCHOR, anchor, timeout=None)
    record(action=VERIFIED, actor=None, detail=asdict(result))
    return result
