"""/ci/: what a CI pipeline fetches from the app (docs/ci.md)."""

from django.urls import path

from .ci_views import ci_script

app_name = "ci"

urlpatterns = [path("readiness-ci.py", ci_script, name="script")]
