"""The real CLI (`python -m server serve`) as a subprocess, on free ports, for tests that
need a real process: signals, restarts, kill -9."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from _wait import wait_until
from llamastack.datasetio.v1beta import datasetio_pb2_grpc
from llamastack.datasets.v1beta import datasets_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")])
    env.pop("PYTHONSTARTUP", None)
    return env


_HELP: str | None = None


def _serve_help() -> str:
    global _HELP
    if _HELP is None:
        _HELP = subprocess.run([sys.executable, "-m", "server", "serve", "--help"], cwd=ROOT, env=_env(),
                               capture_output=True, text=True, timeout=60, check=False).stdout
    return _HELP


class Cli:
    """One `serve` process on free ports; stderr goes to a log file shown on failures."""

    def __init__(self, data_dir: Path, roots: list[Path], grace: float = 20, extra_args: tuple[str, ...] = ()):
        self.data_dir = data_dir
        self.grpc_port = _free_port()
        self.http_port = _free_port()
        self.log_path = data_dir.parent / f"{data_dir.name}-serve-{time.monotonic_ns()}.log"
        cmd = [sys.executable, "-m", "server", "serve", "--data-dir", str(data_dir),
               "--grpc-port", str(self.grpc_port), "--http-port", str(self.http_port),
               "--grace-period", str(grace), "--log-level", "INFO"]
        for root in roots:
            cmd += ["--allowed-root", str(root)]
        if "--no-default-models" in _serve_help():
            cmd.append("--no-default-models")  # only the models a test asks for
        cmd += list(extra_args)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.http_port}", timeout=60)
        self.datasets = datasets_pb2_grpc.DatasetsServiceStub(self.channel)
        self.io = datasetio_pb2_grpc.DatasetIOServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_ready(self) -> bool:
        """True once health says SERVING and the gateway answers; False if the process
        exited first (the caller retries on other ports if a port was taken meanwhile)."""
        def state() -> str | None:
            if self.proc.poll() is not None:
                return "exited"
            try:
                status = self.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status
                if status == health_pb2.HealthCheckResponse.SERVING and \
                        self.http.get("/v1beta/datasets", timeout=2).status_code == 200:
                    return "ready"
            except (grpc.RpcError, httpx.HTTPError):
                pass
            return None

        try:
            return wait_until(state, timeout=START_TIMEOUT, interval=0.1) == "ready"
        except AssertionError:
            pytest.fail(f"serve was not ready within {START_TIMEOUT}s:\n{self.log()}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 40) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not exit within {timeout}s:\n{self.log()}")

    @classmethod
    def start(cls, data_dir: Path, roots: list[Path], attempts: int = 3, extra_args: tuple[str, ...] = ()) -> Cli:
        return cls.start_together([data_dir], roots, attempts, extra_args)[0]

    @classmethod
    def start_together(cls, data_dirs: list[Path], roots: list[Path], attempts: int = 3,
                       extra_args: tuple[str, ...] = ()) -> list[Cli]:
        """One server per data dir, started at once (each loads its models meanwhile), each
        ready when this returns. One whose port was taken between its choice and its bind
        (by another process, or as the ephemeral port of an outgoing connection) starts
        again on other ports."""
        servers = [cls(data_dir, roots, extra_args=extra_args) for data_dir in data_dirs]
        try:
            for i in range(len(servers)):
                for attempt in range(attempts):
                    if servers[i].wait_ready():
                        break
                    servers[i].close()
                    if attempt == attempts - 1 or "address already in use" not in servers[i].log().lower():
                        pytest.fail(f"serve exited with {servers[i].proc.returncode} before it was ready:\n"
                                    f"{servers[i].log()}")
                    servers[i] = cls(servers[i].data_dir, roots, extra_args=extra_args)
        except BaseException:
            for server in servers:
                server.close()
            raise
        return servers

    def close(self) -> None:
        self.http.close()
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()
