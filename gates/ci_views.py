"""The `readiness-ci` command served as one file (docs/ci.md), so that a CI job fetches it
from the same host it posts to: `curl -fsS "$READINESS_URL/ci/readiness-ci.py" -o
readiness-ci.py`. No sign-in: the file holds no secret, and it is the installed module's bytes,
read on each request (so it cannot drift from the command)."""

from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.http import require_safe

import readiness_ci


@require_safe
def ci_script(request):
    response = HttpResponse(
        Path(readiness_ci.__file__).read_bytes(), content_type="text/x-python; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="readiness-ci.py"'
    response["Cache-Control"] = "no-cache"
    return response
