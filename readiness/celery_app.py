"""The Celery application. Broker: Redis when REDIS_URL is set, else kombu's filesystem
transport (docs/adr/0001-embedded-broker.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings.dev")

app = Celery("readiness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
