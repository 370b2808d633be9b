"""Run the whole server (gRPC + gateway) inside another program, on a background
thread with its own event loop: for tests, benchmarks and notebooks."""
from __future__ import annotations

import asyncio
import threading

import grpc
import httpx

from server.app import App
from server.config import ServerConfig


class EmbeddedServer:
    def __init__(self, config: ServerConfig):
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="embedded-server", daemon=True)
        self.thread.start()
        self.app = App(config)
        asyncio.run_coroutine_threadsafe(self.app.start(), self.loop).result(timeout=600)
        self.grpc_target = f"127.0.0.1:{self.app.grpc_port}"
        self.channel = grpc.insecure_channel(self.grpc_target)
        self.http = httpx.Client(base_url=self.base_url, timeout=120)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app.http_port}"

    def stop(self):
        self.http.close()
        self.channel.close()
        asyncio.run_coroutine_threadsafe(self.app.stop(), self.loop).result(timeout=120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
