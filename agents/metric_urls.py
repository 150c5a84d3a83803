"""URLs of the outcome pages (issue 5), mounted under /agents/ beside agents/urls.py."""

from django.urls import path

from . import metric_views as views

app_name = "metrics"

urlpatterns = [
    path("permissions/", views.permission_review_list, name="permissions"),
    path("metrics/template.csv", views.csv_template, name="template"),
    path("<int:pk>/metrics/", views.agent_metrics, name="agent"),
    path("<int:pk>/metrics/new/", views.snapshot_new, name="new"),
    path("<int:pk>/metrics/upload/", views.snapshot_upload, name="upload"),
    path("<int:pk>/thresholds/", views.thresholds_edit, name="thresholds"),
    path("<int:pk>/horizon/advance/", views.horizon_advance, name="horizon_advance"),
    path("<int:pk>/risk-assessments/new/", views.risk_assessment_new, name="risk_new"),
    path(
        "<int:pk>/permissions/<int:permission_id>/review/",
        views.permission_review,
        name="permission_review",
    ),
]
