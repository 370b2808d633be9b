"""Who may call what: API keys looked up by their SHA-256 (never stored in clear),
scopes, and the groups of calls exempt from keys. Shared by the gRPC interceptor and
the gateway's own routes (/metrics, /openapi.json, /docs)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from llamastack_grpc import http_bindings, services
from server.security.settings import ApiKeySetting, SecuritySettings

_GROUP_METHOD_PREFIXES = {
    "health": ("/grpc.health.v1.Health/", "/llamastack.inspect.v1.InspectService/Health"),
    "reflection": ("/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/"),
}
KEY_PREFIX = "lsg_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class AuthError(Exception):
    """A refused call: `code` is "UNAUTHENTICATED" or "PERMISSION_DENIED"."""

    code: str
    reason: str  # stable ErrorInfo reason
    message: str

    @property
    def http_status(self) -> int:
        return 401 if self.code == "UNAUTHENTICATED" else 403


def _read_only_methods() -> frozenset[str]:
    """RPCs whose every HTTP binding is a GET: the calls that change nothing."""
    verbs: dict[str, set[str]] = {}
    for service in services():
        for binding in http_bindings(service):
            verbs.setdefault(f"/{service.full_name}/{binding.method.name}", set()).add(binding.verb)
    return frozenset(m for m, v in verbs.items() if v == {"GET"})


class AccessPolicy:
    def __init__(self, settings: SecuritySettings):
        self._keys = {k.sha256: k for k in settings.api_keys}
        self._exempt = set(settings.exempt)
        self._read_only = _read_only_methods()

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def group_of(self, method: str) -> str | None:
        return next((group for group, prefixes in _GROUP_METHOD_PREFIXES.items()
                     if method.startswith(prefixes)), None)

    def check_rpc(self, method: str, authorization: str | None) -> ApiKeySetting | None:
        """The caller's key (None when keys are off or the call is exempt); AuthError if refused."""
        if not self.enabled or self.group_of(method) in self._exempt:
            return None
        key = self._identify(authorization)
        if key.scope == "read_only" and method not in self._read_only and self.group_of(method) is None:
            raise AuthError("PERMISSION_DENIED", "READ_ONLY_KEY",
                            f"the key '{key.name}' is read-only and cannot call {method.lstrip('/')}")
        return key

    def check_group(self, group: str, authorization: str | None) -> None:
        """For the gateway's own read-only routes (metrics, docs)."""
        if self.enabled and group not in self._exempt:
            self._identify(authorization)

    def http_refusal(self, target: str, authorization: str | None) -> tuple[int, str] | None:
        """The gateway's check, before it reads the request: target is an RPC path
        ("/pkg.Service/Method") or the group of one of its own routes ("metrics", "docs").
        (HTTP status, detail) when refused."""
        try:
            if target.startswith("/"):
                self.check_rpc(target, authorization)
            else:
                self.check_group(target, authorization)
        except AuthError as refused:
            return refused.http_status, refused.message
        return None

    def _identify(self, authorization: str | None) -> ApiKeySetting:
        if not authorization:
            raise AuthError("UNAUTHENTICATED", "API_KEY_MISSING",
                            "an API key is required: send `authorization: Bearer <key>`")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("UNAUTHENTICATED", "API_KEY_MALFORMED",
                            "the authorization header must be `Bearer <key>`")
        key = self._keys.get(hash_key(token.strip()))
        if key is None:
            raise AuthError("UNAUTHENTICATED", "API_KEY_INVALID", "the API key is not valid")
        return key
