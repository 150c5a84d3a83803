"""Reads of the core room: when a worker last ran something, and whether a probe was run."""

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from .models import WorkerHeartbeat, WorkerProbe


def heartbeat_latest() -> WorkerHeartbeat | None:
    """The most recent heartbeat of any worker, or None if no worker ever ran the task."""
    return WorkerHeartbeat.objects.order_by("-last_ran_at").first()


def probe_get(*, token: str) -> WorkerProbe | None:
    """The record of the probe `token`, once a worker has run it."""
    return WorkerProbe.objects.filter(token=token).first()


def counts_in_one_query(querysets: dict[str, QuerySet[Any]]) -> dict[str, int]:
    """How many rows each queryset holds, read in one query, so that what every page counts
    for its navigation costs one query however many counts there are.

    The querysets' own SQL (with their parameters, never text of ours) becomes one scalar
    subquery each: `SELECT (SELECT COUNT(*) FROM (...) AS q0), (SELECT COUNT(*) ...)`, which
    SQLite and PostgreSQL both answer with exactly one row."""
    counts = dict.fromkeys(querysets, 0)
    parts: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    for position, (name, qs) in enumerate(querysets.items()):
        try:
            sql, qs_params = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # .none(), or a filter that can match nothing: 0, no SQL
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{position})")  # nosec B608
        params.extend(qs_params)
        names.append(name)
    if not parts:
        return counts
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)  # nosec B608: ORM-made SQL
        row = cursor.fetchone()
    counts.update({name: int(value) for name, value in zip(names, row, strict=True)})
    return counts
