"""Shared fixtures: a real server (gRPC + gateway) running in a background thread."""
from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import grpc
import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "clients" / "python"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from server.app import App  # noqa: E402
from server.config import ServerConfig  # noqa: E402


class RunningServer:
    """An App on free ports, driven by its own event loop in a thread."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = App(config)
        asyncio.run_coroutine_threadsafe(self.app.start(), self.loop).result(timeout=60)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.app.grpc_port}")
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.app.http_port}", timeout=60)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app.http_port}"

    def stop(self):
        self.http.close()
        self.channel.close()
        asyncio.run_coroutine_threadsafe(self.app.stop(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def make_config(data_dir: Path, **overrides) -> ServerConfig:
    """Free ports, files under data_dir/files, and no models unless asked for."""
    settings = dict(host="127.0.0.1", grpc_port=0, http_port=0, data_dir=data_dir,
                    allowed_roots=[data_dir / "files"], grace_period=5, default_models=False)
    return ServerConfig(**{**settings, **overrides})


@pytest.fixture
def server(tmp_path):
    (tmp_path / "files").mkdir()
    running = RunningServer(make_config(tmp_path))
    yield running
    running.stop()
