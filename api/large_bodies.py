"""Routes allowed a body above Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (the cap of every page's
form, 5 MiB) by `API_BODY_LIMITS` get it: `BodySizeLimitMiddleware` has already refused what is
over the route's own limit (413), and this reads the rest before Django's cap would answer 400.
So `POST /api/v1/agents/{id}/prompt-versions` takes promptfoo's results files of up to 20 MiB
while a page still refuses a 6 MiB form."""

from io import BytesIO

from django.conf import settings

from .middleware import body_limit


class LargeApiBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if cap is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if cap < length <= body_limit(request.path):
                # What HttpRequest.body does, without its global cap: read once, keep it.
                request._body = request.read(length)
                request._stream = BytesIO(request._body)
        return self.get_response(request)
