"""The /api/v1 surface: django-ninja, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs
(Swagger UI from our static files: "ninja" is an installed app, see tests/api/test_docs.py)."""

from ninja import NinjaAPI

from . import errors
from .agents import router as agents_router
from .assessments import router as assessments_router
from .gates import router as gates_router
from .killswitch import router as killswitch_router
from .outcomes import router as metrics_router
from .reports import router as reports_router
from .telemetry import router as telemetry_router
from .webhooks import router as webhooks_router

api = NinjaAPI(
    title="Readiness API",
    version="1",
    description=(
        "For the machines around Readiness: CI pipelines, observability tools, agent runtimes "
        "and scripts. Authenticate with `Authorization: Bearer <token>` (create one on your "
        "profile page or with `manage.py create_api_token`)."
    ),
    urls_namespace="api",
)
errors.install(api)
api.add_router("/", assessments_router)
api.add_router("/", agents_router)
api.add_router("/", gates_router)
api.add_router("/", killswitch_router)
api.add_router("/", metrics_router)
api.add_router("/", reports_router)
api.add_router("/", telemetry_router)
api.add_router("/", webhooks_router)
