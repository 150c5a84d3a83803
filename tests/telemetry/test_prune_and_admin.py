"""Pruning (span ids and running counts after 48 hours, hourly figures after 400 days, by the
scheduled task) and the read-only admin pages of the telemetry models."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from telemetry.models import RunningCount, SeenSpan, TelemetryHour, TelemetryToolHour
from telemetry.tasks import prune
from tests.factories_telemetry import TelemetryHourFactory, TelemetryToolHourFactory

pytestmark = pytest.mark.django_db


def test_the_scheduled_task_prunes_what_is_past_keeping(agent, runtime, exporter):
    runtime.run()
    exporter.post(runtime.protobuf())
    now = timezone.now()
    SeenSpan.objects.filter(agent=agent).update(seen_at=now - timedelta(hours=49))
    RunningCount.objects.filter(agent=agent, kind="run").update(
        updated_at=now - timedelta(hours=49)
    )
    old = now - timedelta(days=401)
    TelemetryHourFactory(agent=agent, hour=old.replace(minute=0, second=0, microsecond=0))
    TelemetryToolHourFactory(agent=agent, hour=old.replace(minute=0, second=0, microsecond=0))
    recent = TelemetryHour.objects.filter(hour__gte=now - timedelta(days=1)).count()

    prune.apply()

    assert not SeenSpan.objects.exists()
    assert list(RunningCount.objects.values_list("kind", flat=True)) == ["conversation"]
    assert TelemetryHour.objects.count() == recent == 1
    assert TelemetryToolHour.objects.filter(hour__lt=now - timedelta(days=400)).count() == 0
    assert "telemetry.prune" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


def test_a_span_after_its_id_was_pruned_would_count_again_so_ids_outlive_retries(
    agent, runtime, exporter
):
    # Exporters retry within minutes: 48 hours of ids covers every retry.
    runtime.run()
    body = runtime.protobuf()
    exporter.post(body)
    SeenSpan.objects.filter(agent=agent).update(seen_at=timezone.now() - timedelta(hours=47))
    prune.apply()
    exporter.post(body)
    assert TelemetryHour.objects.get(agent=agent).model_calls == 1


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["telemetryhour", "telemetrytoolhour", "seenspan", "runningcount"]
)
def test_admin_lists_are_read_only(agent, runtime, exporter, superuser_client, model):
    runtime.run()
    exporter.post(runtime.protobuf())

    page = superuser_client.get(f"/admin/telemetry/{model}/")

    assert page.status_code == 200
    assert superuser_client.get(f"/admin/telemetry/{model}/add/").status_code == 403


def test_staff_see_only_the_organizations_they_administer(
    agent, runtime, exporter, client, other_assessor
):
    runtime.run()
    exporter.post(runtime.protobuf())
    user = other_assessor.user
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    assert "Invoice triage" in client.get("/admin/telemetry/telemetryhour/").content.decode()
    user.is_superuser = False
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename="view_telemetryhour"))
    page = client.get("/admin/telemetry/telemetryhour/")
    assert page.status_code == 200
    assert "Invoice triage" not in page.content.decode()
