from django.apps import AppConfig

from gates import evidence_sources


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = "Telemetry"

    def ready(self) -> None:
        # The source reads models: imported once the app registry is ready.
        from .evidence import evidence_source

        evidence_sources.register("telemetry", evidence_source)
