"""`llama-stack-grpc serve`: the gRPC server and the REST gateway in one process."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.config import ServerConfig
from server.security.api_keys import hash_key, new_key
from server.security.settings import SCOPES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llama-stack-grpc")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the gRPC server and the REST gateway")
    serve.add_argument("--config", type=Path, help="YAML file whose keys mirror these flags")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--grpc-port", type=int, help="gRPC port (default 50051; 0 picks a free one)")
    serve.add_argument("--http-port", type=int,
                       help="REST gateway port (default 8321; 0 picks a free one; -1 disables the gateway)")
    serve.add_argument("--data-dir", type=Path, help="where the embedded store lives (default ./.data)")
    serve.add_argument("--allowed-root", dest="allowed_roots", action="append", type=Path,
                       help="folder that file:// URIs may read from (repeatable)")
    serve.add_argument("--grace-period", type=float, help="seconds in-flight calls get after SIGTERM (default 30)")
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING...")
    serve.add_argument("--model", dest="model_paths", action="append", type=Path, default=[],
                       help="serve the LLM checkpoint in this folder, named after the folder (repeatable)")
    serve.add_argument("--no-default-models", dest="default_models", action="store_false", default=None,
                       help="do not add the demo LLM and the bundled embedding model")
    key = commands.add_parser("api-key", help="make a new API key and print it with the hash to configure")
    key.add_argument("--name", default="client", help="who will hold the key (default: client)")
    key.add_argument("--scope", choices=SCOPES, default="read_write")
    probe = commands.add_parser("health", help="exit 0 when the server's gRPC health says SERVING (container checks)")
    probe.add_argument("--address", default="127.0.0.1:50051", help="host:port of the gRPC server")
    probe.add_argument("--service", default="", help="one service's full name (default: the whole server)")
    probe.add_argument("--tls-ca", type=Path, help="the server's CA certificate, when it serves TLS")
    probe.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.command == "api-key":
        return _print_new_key(args.name, args.scope)
    if args.command == "health":
        return _probe(args.address, args.service, args.tls_ca, args.timeout)

    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "config", "model_paths")}
    try:
        config = ServerConfig.load(args.config, overrides)
        config.models = [*config.models, *map(str, args.model_paths)]
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from server.app import App  # heavy imports after argument errors are reported

    asyncio.run(App(config).run_until_signal())
    return 0


def _print_new_key(name: str, scope: str) -> int:
    key = new_key()
    print(f"API key (give it to {name}; it is not stored anywhere): {key}", file=sys.stderr)
    print("Add to the server's YAML configuration:", file=sys.stderr)
    print(f"security:\n  api_keys:\n    - {{name: {name}, scope: {scope}, sha256: '{hash_key(key)}'}}")
    return 0


def _probe(address: str, service: str, tls_ca: Path | None, timeout: float) -> int:
    if tls_ca is not None:
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(tls_ca.read_bytes()))
    else:
        channel = grpc.insecure_channel(address)
    with channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                               timeout=timeout)
        except grpc.RpcError as error:
            print(f"{address}: {error.code().name} {error.details() or ''}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    print(f"{address} {service or '(server)'}: {status}")
    return 0 if answer.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
