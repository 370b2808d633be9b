"""`llama-stack-grpc serve`: the gRPC server and the REST gateway in one process."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

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
    serve.add_argument("--http-port", type=int, help="REST gateway port (default 8321; 0 picks a free one; -1 disables the gateway)")
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
    args = parser.parse_args(argv)
    if args.command == "api-key":
        return _print_new_key(args.name, args.scope)

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
    print(f"security:\n  api_keys:\n    - {{name: {name}, scope: {scope}, sha256: {hash_key(key)}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
