from django.conf import settings
from django.http import JsonResponse


class BodySizeLimitMiddleware:
    """The API contract: a body over 1 MiB answers 413 before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse(
                    {"detail": f"The body is {length} bytes; the limit is 1 MiB."}, status=413
                )
        return self.get_response(request)
