"""Every URL of the site: the project package joins the rooms (docs/architecture.md)."""

from django.contrib import admin
from django.urls import include, path

from api.otlp import otlp_traces
from api.urls import api
from core.views import favicon, healthz
from overview.views import home

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    # OTLP/HTTP trace exports: protobuf or JSON, answered as the OTLP spec says (api/otlp.py).
    path("api/v1/otlp/v1/traces", otlp_traces, name="otlp-traces"),
    path("api/v1/", api.urls),
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("sso/", include("sso.urls")),
    path("", include("audit.urls")),
    path("assessments/", include("assessments.urls")),
    path("agents/", include("overview.urls")),
    path("agents/", include("agents.urls")),
    path("agents/", include("gates.urls")),
    path("agents/", include("killswitch.urls")),
    path("agents/", include("outcomes.urls")),
    path("reports/", include("reports.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("notifications/", include("notifications.urls")),
    path("ci/", include("gates.ci_urls")),
]
