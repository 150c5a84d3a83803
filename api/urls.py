from ninja import NinjaAPI

api = NinjaAPI(title="Readiness API", version="1", urls_namespace="api")
