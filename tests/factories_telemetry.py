"""factory_boy factories for the telemetry room's models."""

from datetime import UTC, datetime

import factory

from telemetry.models import TelemetryHour, TelemetryToolHour

HOUR = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TelemetryHourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelemetryHour

    hour = HOUR
    model_calls = 10
    runs = 2
    tool_calls = 6
    failed_tool_calls = 1
    input_tokens = 1000
    output_tokens = 200
    first_seen = factory.LazyAttribute(lambda o: o.hour)
    last_seen = factory.LazyAttribute(lambda o: o.hour)


class TelemetryToolHourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelemetryToolHour

    hour = HOUR
    tool = "crm"
    calls = 6
    failed = 1
    last_seen = factory.LazyAttribute(lambda o: o.hour)
