from django.apps import AppConfig

from core.signals import evidence_changed


class GatesConfig(AppConfig):
    name = "gates"
    verbose_name = "Phase gates"

    def ready(self) -> None:
        # The rechecks read models: imported once the app registry is ready.
        from .reviews import recheck_on_evidence_changed

        evidence_changed.connect(recheck_on_evidence_changed, dispatch_uid="gates.recheck")
