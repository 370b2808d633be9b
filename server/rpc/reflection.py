"""Server reflection over the contract's descriptors."""
from __future__ import annotations

from google.protobuf import descriptor_pool
from grpc_reflection.v1alpha import reflection


class _MethodAwarePool:
    """The default descriptor pool, except that FindFileContainingSymbol also resolves a
    method ("pkg.Service.Method"), which the reflection protocol allows (grpcurl describe,
    buf curl) and upb's pool cannot look up."""

    def __init__(self, pool=None):
        self._pool = pool or descriptor_pool.Default()

    def __getattr__(self, name):
        return getattr(self._pool, name)

    def FindFileContainingSymbol(self, symbol):
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            service_name, _, method = symbol.rpartition(".")
            if not service_name:
                raise
            service = self._pool.FindServiceByName(service_name)  # KeyError: not found either
            if method not in service.methods_by_name:
                raise
            return service.file


def enable(server, service_names: list[str]) -> None:
    reflection.enable_server_reflection([*service_names, reflection.SERVICE_NAME], server, pool=_MethodAwarePool())
