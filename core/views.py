"""The health check (answers while the web process runs and its database answers), and
/favicon.ico, which browsers ask for at the root whatever the page says."""

from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    return HttpResponsePermanentRedirect(static("favicon.ico"))
