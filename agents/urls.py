"""The agent registry's own pages (namespace `registry`), mounted under /agents/."""

from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("permissions/", views.permission_review_list, name="permissions"),
    path("<int:pk>/risk-assessments/new/", views.risk_assessment_new, name="risk_new"),
]
