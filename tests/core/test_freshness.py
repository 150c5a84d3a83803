"""The data version (core/freshness.py): every committed write grows it, whatever wrote."""

import pytest
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import Organization
from agents.models import Agent
from core.freshness import UNSHOWN_TABLES, current_version, written_table
from tests.helpers import make_agent


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "agents_agent" ("name") VALUES (%s)', "agents_agent"),
        ('  UPDATE "gates_gate" SET "state" = %s WHERE "id" = %s', "gates_gate"),
        ('DELETE FROM "killswitch_agenttoken" WHERE "id" IN (%s)', "killswitch_agenttoken"),
        ("insert or replace into telemetry_telemetryhour values (1)", "telemetry_telemetryhour"),
        ("REPLACE INTO `Outcomes_MetricSnapshot` VALUES (1)", "outcomes_metricsnapshot"),
        ('SELECT "id" FROM "agents_agent" WHERE "id" = %s FOR UPDATE', None),
        ('SELECT 1 FROM "x" WHERE "note" = \'UPDATE "y"\'', None),
        ("/* a note */ INSERT INTO agents_agent VALUES (1)", "agents_agent"),
        ("-- a note\nUPDATE agents_agent SET name = 'x'", "agents_agent"),
        (b'DELETE FROM "gates_gate"', "gates_gate"),
        ('TRUNCATE "agents_agent", "gates_gate"', "?"),
        ("COPY agents_agent FROM STDIN", "?"),
        ("WITH moved AS (SELECT 1) UPDATE agents_agent SET name = 'x'", "?"),
        ("SAVEPOINT s1", None),
        ("RELEASE SAVEPOINT s1", None),
        ("", None),
    ],
)
def test_the_table_a_statement_writes_to(sql, table):
    assert written_table(sql) == table


def test_the_pages_tables_are_not_among_the_unshown():
    for table in ("agents_agent", "gates_gate", "notifications_notification", "auth_user"):
        assert table not in UNSHOWN_TABLES


@pytest.mark.django_db
def test_a_model_save_grows_the_version(org):
    before = current_version() or 0  # none after a transactional test flushed the tables
    Organization.objects.create(name="Another one", slug="o1")
    assert current_version() > before


@pytest.mark.django_db
def test_a_bulk_update_and_raw_sql_grow_it_too(assessor):
    agent = make_agent(assessor)  # (its writes bring the row back after a flush)
    before = current_version()
    Agent.objects.filter(pk=agent.pk).update(name="Renamed in bulk")
    after_bulk = current_version()
    assert after_bulk > before
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "agents_agent" SET "name" = %s WHERE "id" = %s', ["Raw", agent.pk])
    assert current_version() > after_bulk


@pytest.mark.django_db
def test_reads_and_unshown_writes_leave_it(assessor):
    agent = make_agent(assessor)
    before = current_version()
    list(Agent.objects.filter(pk=agent.pk))
    Agent.objects.select_for_update().filter(pk=agent.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('k', 'd', '2030-01-01')"
        )
    assert current_version() == before


@pytest.mark.django_db(transaction=True)
@override_settings(READINESS_VERSION_AFTER_COMMIT=True)
def test_it_grows_once_per_transaction_and_only_after_the_commit():
    Organization.objects.create(name="First", slug="o2")
    before = current_version()
    with transaction.atomic():
        Organization.objects.create(name="Second", slug="o3")
        Organization.objects.create(name="Third", slug="o4")
        with transaction.atomic():  # a savepoint's writes belong to the same transaction
            Organization.objects.filter(name="Third").update(name="Third, renamed")
        assert current_version() == before  # not before the commit: no copy is dropped early
    assert current_version() == before + 1


def _write_then_fail(name: str, slug: str) -> None:
    with transaction.atomic():
        Organization.objects.create(name=name, slug=slug)
        raise RuntimeError("roll back")


@pytest.mark.django_db(transaction=True)
@override_settings(READINESS_VERSION_AFTER_COMMIT=True)
def test_a_rolled_back_transaction_leaves_it():
    Organization.objects.create(name="First", slug="o5")
    before = current_version()
    with pytest.raises(RuntimeError, match="roll back"):
        _write_then_fail("Never", "o6")
    assert current_version() == before
    Organization.objects.create(name="Then a committed one", slug="o7")  # and the next still counts
    assert current_version() == before + 1


@pytest.mark.django_db(transaction=True)
@override_settings(READINESS_VERSION_AFTER_COMMIT=True)
def test_a_rolled_back_savepoint_does_not_lose_the_transactions_bump():
    Organization.objects.create(name="First", slug="o8")
    before = current_version()
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="roll back"):
            _write_then_fail("Undone", "o9")
        Organization.objects.create(name="Kept", slug="o10")
    assert current_version() == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_flushed_version_row_comes_back_with_the_next_write():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_dataversion")
    assert current_version() is None
    Organization.objects.create(name="After the flush", slug="o11")
    assert current_version() == 1


def test_the_sql_names_the_models_table():
    from core.freshness import _BUMP, _READ, TABLE
    from core.models import DataVersion

    assert DataVersion._meta.db_table == TABLE
    assert f"INTO {TABLE} " in _BUMP
    assert f"FROM {TABLE} " in _READ


def _queue_a_failure_then_write() -> None:
    def fails():
        raise RuntimeError("a broker that is down")

    with transaction.atomic():
        transaction.on_commit(fails)  # queued before any write of the transaction
        Organization.objects.create(name="Second", slug="o21")


@pytest.mark.django_db(transaction=True)
@override_settings(READINESS_VERSION_AFTER_COMMIT=True)
def test_a_failing_callback_queued_before_the_first_write_does_not_cancel_the_bump():
    Organization.objects.create(name="First", slug="o20")
    before = current_version()

    with pytest.raises(RuntimeError, match="broker"):
        _queue_a_failure_then_write()
    assert Organization.objects.filter(slug="o21").exists()  # committed
    assert current_version() == before + 1


@pytest.mark.django_db(transaction=True)
@override_settings(READINESS_VERSION_AFTER_COMMIT=True)
def test_a_bump_that_fails_after_a_committed_write_is_logged_not_raised(monkeypatch, caplog):
    from django.db import OperationalError

    from core import freshness

    def locked(connection=None):
        raise OperationalError("database is locked")

    monkeypatch.setattr(freshness, "bump", locked)
    Organization.objects.create(name="Kept", slug="o22")  # autocommit: no error for the writer
    assert Organization.objects.filter(slug="o22").exists()
    assert "Could not grow the data version" in caplog.text
