"""An agent's outcome pages (namespace `outcomes`), mounted under /agents/."""

from django.urls import path

from . import snapshot_views, views

app_name = "outcomes"

urlpatterns = [
    path("metrics/template.csv", snapshot_views.csv_template, name="template"),
    path("<int:pk>/metrics/", views.agent_metrics, name="agent"),
    path("<int:pk>/metrics/new/", snapshot_views.snapshot_new, name="new"),
    path("<int:pk>/metrics/upload/", snapshot_views.snapshot_upload, name="upload"),
    path("<int:pk>/thresholds/", views.thresholds_edit, name="thresholds"),
    path("<int:pk>/horizon/advance/", views.horizon_advance, name="horizon_advance"),
]
