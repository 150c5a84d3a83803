from django.apps import AppConfig

from gates import evidence_sources


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # The source reads models: imported once the app registry is ready.
        from .evidence import evidence_source

        evidence_sources.register("outcomes", evidence_source)
