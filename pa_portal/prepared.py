"""Reads whose SQL is compiled once per shape and process; each call only binds its values.

Django builds and compiles a queryset's SQL on every call. For the case page's reads, whose
joins select 40-120 columns, that is 0.2-0.6 ms of CPU each and a quarter of the page
(bench/README.md, "Ninth pass"), for SQL that differs from one request to the next only in its
values. A Prepared read is given a function that builds the queryset. The first call of each
*shape* (what decides the SQL's text: a role, a flag) builds it once with marker values, compiles
it, and notes where each value landed among the parameters. Later calls put their values there
and run the same SQL; Django's own ModelIterable turns the rows into instances (joined rows,
annotations), so what a caller gets is what the queryset would have given.

The rule a caller must keep: the SQL depends on nothing but the shape. A value that changes the
SQL (a list's length, a value Django rewrites, such as a LIKE pattern, or the time read while
building) cannot be a slot: planning refuses a slot it cannot find among the parameters, and
with PREPARED_READS_VERIFY (on in the test suite) every call also builds and compiles the
queryset the ordinary way and fails unless the SQL and parameters are the same.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

# Marker values, one per slot: of the slot's type, and values no query ever holds (int: inside
# PostgreSQL's int4, so an int4 column's lookup is not dropped as out of range).
_MARK_INT = -2_000_000_000
_MARK_TIME = datetime(1, 1, 2, tzinfo=UTC)
_BIGINT = (-(2**63), 2**63 - 1)
# Plans kept per read: every real shape, with room; more are made again when needed.
MAX_PLANS = 512


def _marker(kind: type, index: int) -> Any:
    if kind is int:
        return _MARK_INT - index
    if kind is str:
        return f"\x00prepared-slot-{index}\x00"
    if kind is datetime:
        return _MARK_TIME + timedelta(seconds=index)
    if kind is date:
        return _MARK_TIME.date() + timedelta(days=index)
    raise TypeError(f"A prepared read's slot is an int, a str, a date or a datetime, not {kind}.")


def _checked(kind: type, name: str, value: Any) -> Any:
    # The ORM would coerce ("12" to 12); a prepared read only takes the slot's own type, so a
    # caller's mistake is an error here and never a different query.
    # A str's subclass (a TextChoices member) and an aware datetime are taken as they are, as
    # the ORM takes them; an int must be one (never a bool), a date one (never a datetime).
    if type(value) is not kind and not (kind in (str, datetime) and isinstance(value, kind)):
        raise TypeError(f"Slot {name} takes a {kind.__name__}, not {type(value).__name__}.")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise TypeError(f"Slot {name} takes an aware datetime.")
    return value


def _beyond_bigint(values: dict[str, Any]) -> bool:
    """A value no bigint holds: Django decides per lookup what it means (no row for an id, every
    row for a bound), so such a call is the ordinary queryset's, not a prepared one."""
    return any(type(v) is int and not _BIGINT[0] <= v <= _BIGINT[1] for v in values.values())


@dataclass(frozen=True)
class _Plan:
    model: type[Model]
    query: Any  # the planned queryset's Query, for what ModelIterable reads of it
    compiler: SQLCompiler | None  # None: the shape matches nothing (an empty queryset)
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]  # slot name -> its positions among the parameters
    counting: bool  # the plan of count(): the query's ids


class _BoundQuery:
    """The planned Query, whose compiler is the planned one with this call's values."""

    def __init__(self, query: Any, compiler: SQLCompiler) -> None:
        self._query, self._compiler = query, compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> SQLCompiler:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


class Prepared[M: Model]:
    """A read compiled once per shape: `build(shape, **values)` gives its queryset; slots names
    each value's type (int, str, date or datetime)."""

    def __init__(self, build: Callable[..., QuerySet[M]], **slots: type) -> None:
        self.build, self.slots = build, slots
        self._plans: dict[Hashable, _Plan] = {}
        self._counts: dict[Hashable, _Plan] = {}

    def all(self, shape: Hashable, **values: Any) -> list[M]:
        """Every row, as list(build(shape, **values)) gives them."""
        if _beyond_bigint(values):
            return list(self.build(shape, **values))
        plan = self._plans.get(shape) or self._plan(shape, list(values))
        params = self._bound(shape, plan, values)
        return [] if params is None else self._run(plan, params)

    def _bound(
        self, shape: Hashable, plan: _Plan, values: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """The plan's parameters with this call's values; None: the shape matches nothing."""
        if plan.compiler is None:
            self._verify(shape, values, plan, None)
            return None
        if len(values) != len(plan.slots):
            raise TypeError(f"Shape {shape!r} takes the values {sorted(plan.slots)}.")
        params = list(plan.params)
        for name, positions in plan.slots.items():
            value = _checked(self.slots[name], name, values[name])
            for position in positions:
                params[position] = value
        self._verify(shape, values, plan, tuple(params))
        return tuple(params)

    def count(self, shape: Hashable, **values: Any) -> int:
        """How many rows all() would give, counted by PostgreSQL (the query's ids, counted)."""
        if _beyond_bigint(values):
            return self.build(shape, **values).count()
        plan = self._counts.get(shape) or self._plan(shape, list(values), counting=True)
        params = self._bound(shape, plan, values)
        if params is None:
            return 0
        using = router.db_for_read(plan.model)
        # The planned SQL is one compiled by Django (its ids); only values are parameters.
        sql = f"SELECT COUNT(*) FROM ({plan.sql}) AS counted"  # noqa: S608
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    def one(self, shape: Hashable, **values: Any) -> M | None:
        """The one row, or None; more than one is an error (as QuerySet.get())."""
        found = self.all(shape, **values)
        if len(found) > 1:
            model = cast(Any, found[0])
            raise model.MultipleObjectsReturned(f"{len(found)} rows for a prepared read of one.")
        return found[0] if found else None

    def _plan(self, shape: Hashable, names: list[str], *, counting: bool = False) -> _Plan:
        marks = {name: _marker(self.slots[name], index) for index, name in enumerate(names)}
        queryset = self._queryset(shape, marks, counting)
        using = router.db_for_read(queryset.model)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            plan = _Plan(queryset.model, queryset.query, None, "", (), {}, counting)
        else:
            slots = {
                name: [i for i, p in enumerate(params) if type(p) is type(m) and p == m]
                for name, m in marks.items()
            }
            if missing := [name for name, positions in slots.items() if not positions]:
                raise ValueError(
                    f"Slots {missing} are not parameters of {shape!r}'s SQL as given: "
                    "rewritten by Django (a LIKE pattern, a list) or unused. Not preparable."
                )
            plan = _Plan(
                queryset.model, queryset.query, compiler, sql, tuple(params), slots, counting
            )
        plans = self._counts if counting else self._plans
        if len(plans) >= MAX_PLANS:
            plans.clear()  # shapes beyond any real use (a page number far down): start over
        plans[shape] = plan
        return plan

    def _queryset(self, shape: Hashable, values: dict[str, Any], counting: bool) -> QuerySet[M]:
        queryset = self.build(shape, **values)
        # A count counts the query's ids: no join or order is needed for that.
        return queryset.order_by().values("pk") if counting else queryset  # type: ignore[return-value]

    def _run(self, plan: _Plan, params: tuple[Any, ...]) -> list[M]:
        assert plan.compiler is not None
        using = router.db_for_read(plan.model)
        if plan.query.select_for_update and connections[using].get_autocommit():
            # What as_sql(), skipped here, would refuse.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        compiler = copy.copy(plan.compiler)
        # This thread's connection (the plan may have been made in another), and this call's
        # values in the planned SQL: execute_sql() asks as_sql() for both.
        compiler.connection = connections[using]
        sql = plan.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)  # type: ignore[method-assign]
        query = cast(Any, _BoundQuery(plan.query, compiler))
        queryset: QuerySet[Model] = QuerySet(model=plan.model, query=query, using=using)
        return cast(list[M], list(ModelIterable(queryset)))

    def _verify(
        self, shape: Hashable, values: dict[str, Any], plan: _Plan, params: tuple[Any, ...] | None
    ) -> None:
        """params None: this call finds nothing without asking the database."""
        if not settings.PREPARED_READS_VERIFY:
            return
        queryset = self._queryset(shape, values, plan.counting)
        try:
            fresh = queryset.query.get_compiler(using=router.db_for_read(plan.model)).as_sql()
        except EmptyResultSet:
            fresh = None
        mine = None if params is None else (plan.sql, params)
        if fresh != mine:
            raise AssertionError(
                f"A prepared read's SQL for {shape!r} is not what its queryset compiles to now: "
                f"the SQL depends on more than the shape.\nprepared: {mine}\nqueryset: {fresh}"
            )
