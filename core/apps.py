from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Every connection notes its writes in the data version (core/freshness.py).
        from . import freshness

        connection_created.connect(freshness.install, dispatch_uid="core.freshness.install")
        pre_migrate.connect(freshness.pause, dispatch_uid="core.freshness.pause")
        post_migrate.connect(freshness.resume, dispatch_uid="core.freshness.resume")
