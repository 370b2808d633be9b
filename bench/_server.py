"""A server under measurement in its own process (`python -m server serve`, the real CLI),
as production runs it: tracing on (the default) and API keys on. The benchmark's
clients run in the bench's process, so the server's own CPU time per request can be
read apart from theirs (`cpu_seconds`).

One random read-write key per run: gRPC callers send `METADATA`, HTTP callers `HEADERS`.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.security.api_keys import hash_key, new_key
from server.security.settings import ApiKeySetting, SecuritySettings

ROOT = Path(__file__).resolve().parent.parent
KEY = new_key()
METADATA = (("authorization", f"Bearer {KEY}"),)
HEADERS = {"authorization": f"Bearer {KEY}"}


def security_settings() -> SecuritySettings:
    """API keys on, with this run's key: for a server embedded in the bench's process."""
    return SecuritySettings(api_keys=[ApiKeySetting(name="bench", sha256=hash_key(KEY))])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m server serve` with these settings (config keys), on free ports; API keys
    on unless `api_keys=False`."""

    def __init__(self, data_dir: Path, api_keys: bool = True, **settings):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.grpc_port, self.http_port = _free_port(), _free_port()
        if api_keys:
            settings["security"] = {"api_keys": [{"name": "bench", "sha256": hash_key(KEY)}]}
        config = data_dir / "config.yaml"
        config.write_text(yaml.safe_dump({"grpc_port": self.grpc_port, "http_port": self.http_port,
                                          "data_dir": str(data_dir), "log_level": "WARNING", **settings}))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")])}
        with open(data_dir / "serve.log", "w") as log:  # the child keeps its own copy of the file
            self.process = subprocess.Popen([sys.executable, "-m", "server", "serve", "--config", str(config)],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.target = f"127.0.0.1:{self.grpc_port}"
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self._wait_serving(data_dir)

    def _wait_serving(self, data_dir: Path) -> None:
        with grpc.insecure_channel(self.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)  # health is exempt from keys by default
            deadline = time.monotonic() + 300
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited; see {data_dir / 'serve.log'}")
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                            health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (its threads included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
