from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from api.urls import api
from assessments.views import home


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("assessments/", include("assessments.urls")),
    path("agents/", include("agents.urls")),
    path("agents/", include("agents.metric_urls")),
    path("reports/", include("reports.urls")),
]
