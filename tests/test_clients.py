"""The Node and Go clients: each is generated from protos/ with its one command, and
its example (register a dataset, stream an agent turn, read an error's details) runs
against a live server with mTLS and an API key, through the wrappers'
options. Skipped only where the toolchain is missing
(scripts/install-client-toolchains installs it; CI runs that)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from server.security.api_keys import hash_key
from tests._certs import Authority
from tests.conftest import ROOT, RunningServer, make_config

NODE = ROOT / "clients" / "node"
GO = ROOT / "clients" / "go"
API_KEY = "lsg_clients-example-key"
GO_TOOLS = ("go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc")
GO_LIBRARIES = ("google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto")


def run(cmd: list[str], cwd, env=None, timeout=600) -> str:
    done = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_llm):
    data_dir = tmp_path_factory.mktemp("clients")
    (data_dir / "files").mkdir()
    models = [{"id": "tiny-llama", "checkpoint": str(tiny_llm)}]
    server_ca, client_ca = Authority(data_dir, "server-ca"), Authority(data_dir, "client-ca")
    server_pem, client_pem = server_ca.issue("server", server=True), client_ca.issue("client", server=False)
    running = RunningServer(make_config(data_dir, models=models, security={
        "api_keys": [{"name": "examples", "sha256": hash_key(API_KEY)}],
        "tls": {"cert_file": server_pem.cert, "key_file": server_pem.key, "client_ca_file": client_ca.pem.cert}}))
    running.example_env = {
        "LLAMA_STACK_GRPC_ADDRESS": running.grpc_target, "LLAMA_STACK_API_KEY": API_KEY,
        "LLAMA_STACK_MODEL": "tiny-llama", "LLAMA_STACK_TLS_CA": str(server_ca.pem.cert),
        "LLAMA_STACK_TLS_CERT": str(client_pem.cert), "LLAMA_STACK_TLS_KEY": str(client_pem.key)}
    yield running
    running.stop()


def _check_output(out: str, dataset_id: str) -> None:
    lines = out.splitlines()
    assert lines[0].startswith(f"dataset {dataset_id}: 2 rows, first question 2+2?"), out
    assert lines[1].startswith("turn events: turn_start,step_start,") and lines[1].endswith("turn_complete"), out
    assert lines[2].startswith("error: NotFound NOT_FOUND llamastack.grpc: Dataset 'no-such-dataset'"), out


def test_node_example_runs_against_a_live_server(live):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (scripts/install-client-toolchains)")
    if not (NODE / "node_modules" / ".bin" / "protoc-gen-es").exists():
        run(["npm", "ci", "--no-audit", "--no-fund"], NODE)
    run(["npm", "run", "--silent", "generate"], NODE)
    _check_output(run(["node", "examples/quickstart.js"], NODE, live.example_env), "node-example")


def test_go_example_runs_against_a_live_server(live):
    missing = [tool for tool in GO_TOOLS if shutil.which(tool) is None]
    missing += [lib for lib in GO_LIBRARIES if not (Path("/usr/share/gocode/src") / lib).is_dir()]
    if missing:
        pytest.skip(f"the Go toolchain is missing {', '.join(missing)} (scripts/install-client-toolchains)")
    run([str(GO / "generate.sh")], ROOT)
    run([str(GO / "build.sh")], ROOT)
    binary = ROOT / ".build" / "go" / "bin" / "quickstart"
    _check_output(run([str(binary)], ROOT, live.example_env), "go-example")
