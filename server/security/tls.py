"""TLS and mTLS credentials, for the gRPC server and the gateway (uvicorn), from the
configured PEM files; and the warning for a server exposed with no protection."""
from __future__ import annotations

import ipaddress
import ssl

import grpc

from server.security.settings import SecuritySettings, TlsSettings


def grpc_server_credentials(tls: TlsSettings) -> grpc.ServerCredentials:
    chain, key, client_ca = tls.read()
    return grpc.ssl_server_credentials([(key, chain)], root_certificates=client_ca,
                                       require_client_auth=client_ca is not None)


def uvicorn_ssl_options(tls: TlsSettings) -> dict:
    if not tls.enabled:
        return {}
    options = {"ssl_certfile": str(tls.cert_file), "ssl_keyfile": str(tls.key_file)}
    if tls.client_ca_file is not None:
        options.update(ssl_ca_certs=str(tls.client_ca_file), ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, security: SecuritySettings) -> str | None:
    """A loud warning when anyone who reaches the port could call every RPC (the code
    interpreter included), or read the traffic."""
    if is_loopback(host):
        return None
    missing = [what for what, absent in (("no API keys", not security.api_keys),
                                         ("no TLS", not security.tls.enabled)) if absent]
    if not missing:
        return None
    return (f"!!! listening on {host} with {' and '.join(missing)}: anyone who can reach this port can "
            "call every RPC, including the agents' code interpreter. Configure `security` "
            "(docs/security.md) or bind 127.0.0.1. !!!")
