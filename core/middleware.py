"""Pages for a 405: a button's URL opened directly leads back to the page the button is on.

Django renders 403, 404 and 500 pages from templates, but a view refusing a method
(`require_POST`) answers a bare `HttpResponseNotAllowed`. For a page request (not `/api/`,
not htmx, not the admin), a GET is redirected to the nearest page above the URL (the
button's page: `/agents/7/drills/3/end/` goes to `/agents/7/`), and any other method gets
the 405 page with the site's navigation and a link to that page.
"""

from django.contrib import messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

SKIPPED_PREFIXES = ("/api/", "/admin/", "/static/")
BUTTON_MESSAGE = (
    "That address belongs to a button: nothing was done. Use the button on this page instead."
)


def page_above(path: str) -> str:
    """The nearest URL above `path` that names a page of ours ("/" at worst)."""
    parts = [part for part in path.split("/") if part]
    while parts:
        parts.pop()
        candidate = "/" + "".join(f"{part}/" for part in parts)
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    return "/"


def _is_page_request(request) -> bool:
    if request.path.startswith(SKIPPED_PREFIXES) or request.headers.get("HX-Request"):
        return False
    accept = request.headers.get("Accept", "")
    return not accept or "text/html" in accept or "*/*" in accept


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or not _is_page_request(request):
            return response
        back = page_above(request.path)
        if request.method == "GET":
            messages.info(request, BUTTON_MESSAGE)
            return HttpResponseRedirect(back)
        return HttpResponseNotAllowed(
            [m.strip() for m in response["Allow"].split(",")],
            render_to_string(
                "405.html",
                {"back": back, "method": request.method, "allowed": response["Allow"]},
                request=request,
            ),
        )
