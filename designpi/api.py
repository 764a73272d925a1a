"""The JSON API (SPEC §6), mounted at /api/. Routers live in each app's api.py."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="DesignPi Support API",
    version="1.0",
    urls_namespace="api",
)
