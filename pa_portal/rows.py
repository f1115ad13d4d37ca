"""One row by key, for the reads every request makes, with its SQL written once per model.

A queryset is built and compiled again on every call: ~170-190 us of CPU for a one-row read by
key, where the same statement sent as text costs ~40-60 us (bench/README.md, "Ninth pass").
Every signed-in page reads its session, its user and its second factor, and most read the plan's
rules, so the difference is paid on every request. These reads go through Django's own cursor
(its query log and execute wrappers see them, and tests/perf counts them) and become instances
through Model.from_db, as the ORM's rows do; the columns come from the model's fields, so a
migration that adds one is read too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Model


@dataclass(frozen=True)
class Columns:
    """A model's concrete fields as a SELECT list, and what turns each value into Python."""

    attnames: list[str]
    sql: str
    # (position, converters) for the few fields whose values need one (none of today's models).
    converters: list[tuple[int, list[Callable[..., Any]], Any]]


@cache
def columns(model: type[Model], prefix: str = "", using: str = "default") -> Columns:
    """Every concrete column of model, each written `prefix."column"` when a prefix is given."""
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    head = f"{prefix}." if prefix else ""
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, col))
    return Columns(
        attnames=[field.attname for field in fields],
        sql=", ".join(head + quote(str(field.column)) for field in fields),
        converters=converters,
    )


def instance[M: Model](model: type[M], row: Sequence[Any], using: str = "default") -> M:
    """The model instance for a row of columns(model), as the ORM would build it."""
    cols = columns(model, using=using)
    values = list(row)
    connection = connections[using]
    for index, converters, col in cols.converters:
        for convert in converters:
            values[index] = convert(values[index], col, connection)
    return model.from_db(using, cols.attnames, values)


def read_one[M: Model](model: type[M], where: str, params: Sequence[Any]) -> M | None:
    """The one row of model matching `where` (SQL over the model's own columns, with %s for
    each of params), or None. For reads by a unique key only: a second match is an error."""
    using = router.db_for_read(model)
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    # Table and column names come from the model; every value is a parameter.
    sql = f"SELECT {columns(model, using=using).sql} FROM {table} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchmany(2)
    if len(rows) > 1:
        several = model.MultipleObjectsReturned  # type: ignore[attr-defined]
        raise several(f"{model.__name__}: more than one row for {where}")
    return instance(model, rows[0], using) if rows else None
