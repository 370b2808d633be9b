"""GET /v1/health, /v1/version and /v1/inspect/routes."""
from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from llamastack.inspect.v1 import inspect_pb2
from llamastack_grpc import http_bindings, services


def package_version() -> str:
    try:
        return metadata.version("llama-stack-grpc")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


class InspectServicer:
    def __init__(self, implemented: set[str], serving: Callable[[], bool] = lambda: True):
        self._serving = serving  # the gRPC health state of the whole server ("" entry)
        # Routes are listed for the services this server implements.
        self._routes = inspect_pb2.ListRoutesResponse(data=[
            inspect_pb2.RouteInfo(route=b.path, method=b.verb, provider_types=["llama-stack-grpc"])
            for service in services() if service.full_name in implemented
            for b in http_bindings(service)
        ])

    async def Health(self, request, context):
        return inspect_pb2.HealthInfo(status=inspect_pb2.HEALTH_STATUS_OK if self._serving()
                                      else inspect_pb2.HEALTH_STATUS_ERROR)

    async def Version(self, request, context):
        return inspect_pb2.VersionInfo(version=package_version())

    async def ListRoutes(self, request, context):
        return self._routes
