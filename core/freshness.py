"""The data version: one number that grows after every committed write to the database, so
that anything cached under it is never served after a write that could change it
(docs/adr/0010-pages-cached-under-the-data-version.md).

It is kept by the database itself, not by the code that writes: a wrapper around every SQL
statement of every connection (`version_wrapper`) notices an INSERT, UPDATE or DELETE, from
the ORM, a bulk update or raw SQL alike, and the version grows once per transaction, right
after it commits. Nothing has to remember to call it.

Reading it is one indexed query (`current_version`). A reader reads the version before the
data it caches: a copy drawn before a commit is kept under the version before it and is
never found again once that commit has bumped the version.
"""

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

TABLE = "core_dataversion"

# Tables whose writes no page shows: the version's own row, sessions, sign-in attempts,
# the worker's heartbeat and probes (a beat every minute would otherwise empty every cache),
# and the migration ledger (a migration's own writes bump the version once it ends).
UNSHOWN_TABLES = frozenset(
    {
        TABLE,
        "django_session",
        "django_migrations",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "core_workerheartbeat",
        "core_workerprobe",
    }
)

logger = logging.getLogger(__name__)

# Leading comments, then the statement's first words: a write names its table; the writes
# whose table is not read here (TRUNCATE, COPY, MERGE, a WITH ... UPDATE) count as writes of
# an unknown table, so they grow the version too (fail safe).
_LEAD = r"^\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*"
_WRITE = re.compile(
    _LEAD
    + r"""(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+["`]?(\w+)""",
    re.IGNORECASE | re.DOTALL,
)
_OTHER_WRITE = re.compile(_LEAD + r"(?:TRUNCATE|COPY|MERGE|WITH)\b", re.IGNORECASE | re.DOTALL)
UNKNOWN_TABLE = "?"
# Constant SQL (the table's name written out): the same statement on SQLite and PostgreSQL.
_BUMP = (
    "INSERT INTO core_dataversion (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = core_dataversion.value + 1"
)
_READ = "SELECT value FROM core_dataversion WHERE id = 1"

# Set while `migrate` runs: the version's table may not exist yet (see apps.py).
_paused = False


def written_table(sql: object) -> str | None:
    """The table an SQL statement writes to (`UNKNOWN_TABLE` for a write whose table is not
    read, or a WITH that may write), or None for a statement that writes nothing."""
    text = sql.decode(errors="replace") if isinstance(sql, bytes) else str(sql)
    match = _WRITE.match(text)
    if match:
        return match.group(1).lower()
    return UNKNOWN_TABLE if _OTHER_WRITE.match(text) else None


def version_wrapper(
    execute: Callable[..., Any], sql: object, params: Any, many: bool, context: dict
) -> Any:
    """Runs each statement, then notes a write to a shown table (installed on every
    connection by `install`)."""
    result = execute(sql, params, many, context)
    if not _paused:
        table = written_table(sql)
        if table is not None and table not in UNSHOWN_TABLES:
            _note_write(context["connection"])
    return result


def _note_write(connection: Any) -> None:
    """Bump the version once for the transaction the write belongs to, after it commits (so
    the one row is never held locked through anyone's transaction); at once outside one, or
    when `READINESS_VERSION_AFTER_COMMIT` is off (the test suite, whose test transactions
    never commit)."""
    if not settings.READINESS_VERSION_AFTER_COMMIT:
        _bump_uncounted(connection)
        return
    if not connection.in_atomic_block:
        _bump_robustly(connection)  # the write has committed already: never undo its answer
        return
    pending = getattr(connection, "_data_version_bump", None)
    if pending is not None and any(entry[1] is pending for entry in connection.run_on_commit):
        return  # this transaction's bump is already waiting for its commit
    pending = functools.partial(_bump_robustly, connection)
    connection._data_version_bump = pending
    # First of the commit's callbacks (as transaction.on_commit would queue it, robust): a
    # callback queued earlier that raises cannot cancel it, and it runs before slow ones.
    connection.run_on_commit.insert(0, (set(connection.savepoint_ids), pending, True))


def _bump_robustly(connection: Any) -> None:
    """Bump after a committed write; a failure (a locked SQLite file) is logged, not raised,
    since the write it follows has committed: its copies then live out their lifetime."""
    try:
        bump(connection)
    except DatabaseError:
        logger.exception("Could not grow the data version after a committed write.")


def bump(connection: Any = None) -> None:
    """Grow the version by one (creating its row if a flush removed it)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_BUMP)


def _bump_uncounted(connection: Any) -> None:
    """The test suite's bump at each write, on the driver's own cursor: the suite's query
    limits count what a page or a service asks, as before. (In production the bump is one
    statement per transaction, after its commit, which those limits never see either: their
    transactions do not commit.)"""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_BUMP)
    finally:
        cursor.close()


def current_version(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The version now, or None when its row is missing (nothing may be cached then)."""
    with connections[using].cursor() as cursor:
        cursor.execute(_READ)
        row = cursor.fetchone()
    return row[0] if row else None


def install(sender: object = None, connection: Any = None, **kwargs: object) -> None:
    """The `connection_created` receiver: wrap every statement of a new connection."""
    if connection is not None and version_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(version_wrapper)


def pause(sender: object = None, **kwargs: object) -> None:
    """`pre_migrate`: the table may not exist until the migrations have run."""
    global _paused
    _paused = True


def resume(sender: object = None, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """`post_migrate`: note the migrations' writes once, if the table exists (it does not
    after migrating core back to zero)."""
    global _paused
    _paused = False
    connection = connections[using]
    try:
        if TABLE in connection.introspection.table_names():
            bump(connection)
    except DatabaseError:  # pragma: no cover - a database that went away mid-migrate
        pass
