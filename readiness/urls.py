"""Every URL of the site: the project package joins the rooms (docs/architecture.md)."""

from django.contrib import admin
from django.urls import include, path

from api.urls import api
from core.views import healthz
from overview.views import home

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("assessments/", include("assessments.urls")),
    path("agents/", include("overview.urls")),
    path("agents/", include("agents.urls")),
    path("agents/", include("gates.urls")),
    path("agents/", include("killswitch.urls")),
    path("agents/", include("outcomes.urls")),
    path("reports/", include("reports.urls")),
]
