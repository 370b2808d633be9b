"""The contract is transcoder-valid: `buf build` makes the descriptor set Envoy's
gRPC-JSON transcoder reads (deploy/envoy/envoy.yaml), and a grpc-gateway reverse proxy
generated from protos/ answers the documented datasets routes against the live server
with the same semantics as our gateway (docs/transcoding.md lists the differences in
encoding)."""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, json_format

from llamastack.common.v1 import common_pb2
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc import services
from llamastack_grpc.jsonmap import to_json
from tests._wait import wait_until
from tests.conftest import ROOT, RunningServer, make_config

PROXY = ROOT / ".build" / "go" / "bin" / "grpc-gateway-proxy"
RUNTIME = ROOT / ".build" / "go" / "debs" / "usr" / "share" / "gocode" / "src" / "github.com" / "grpc-ecosystem"
ROWS = [{"question": "2+2?", "answer": "4", "n": 1}, {"question": "3+3?", "answer": "6", "n": 2}]


def test_buf_builds_the_descriptor_set_envoy_reads(tmp_path):
    out = tmp_path / "llamastack.binpb"
    subprocess.run([str(ROOT / ".venv" / "bin" / "buf"), "build", "--as-file-descriptor-set", "--path",
                    "protos/llamastack", "-o", str(out)], cwd=ROOT, check=True, timeout=300)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    names = {f.name for f in files}
    assert {"google/api/annotations.proto", "google/api/http.proto", "google/protobuf/struct.proto"} <= names
    in_set = {f"{f.package}.{s.name}" for f in files for s in f.service}
    assert in_set == {s.full_name for s in services()}
    routed = sum(1 for f in files for s in f.service for m in s.method
                 if m.options.HasExtension(annotations_pb2.http))
    assert routed == sum(len(s.methods) for s in services())
    config = yaml.safe_load((ROOT / "deploy" / "envoy" / "envoy.yaml").read_text())
    (listener,) = config["static_resources"]["listeners"]
    filters = listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    transcoder = next(f for f in filters if f["name"] == "envoy.filters.http.grpc_json_transcoder")
    assert set(transcoder["typed_config"]["services"]) == in_set


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    tools = ("go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc", "protoc-gen-grpc-gateway")
    missing = [t for t in tools if shutil.which(t) is None]
    if not RUNTIME.is_dir():
        missing.append("the grpc-gateway runtime in .build/go/debs")
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (scripts/install-client-toolchains)")
    subprocess.run([str(ROOT / "deploy" / "grpc-gateway" / "build.sh")], cwd=ROOT, check=True, timeout=900,
                   capture_output=True)
    data_dir = tmp_path_factory.mktemp("transcoder")
    (data_dir / "files").mkdir()
    server = RunningServer(make_config(data_dir))
    port = _free_port()
    log = open(data_dir / "proxy.log", "wb")  # noqa: SIM115 - closed below
    proxy = subprocess.Popen([str(PROXY), "-listen", f"127.0.0.1:{port}", "-backend", server.grpc_target],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def answers() -> bool:
        try:
            return http.get("/v1/health").status_code == 200
        except httpx.HTTPError:
            return proxy.poll() is not None  # exited: fail below with its log

    wait_until(answers, timeout=30)
    assert proxy.poll() is None, Path(data_dir / "proxy.log").read_text()
    yield server, http
    http.close()
    proxy.terminate()
    proxy.wait(timeout=10)
    log.close()
    server.stop()


def _as_ours(proxy_json: dict, message_type) -> dict:
    """The proxy's proto3 JSON, decoded to the message and encoded as our gateway would."""
    return to_json(json_format.ParseDict(proxy_json, message_type()))


def test_grpc_gateway_proxy_answers_documented_dataset_routes_like_our_gateway(proxied):
    server, proxy = proxied
    # Register through the proxy, in proto3 JSON: the union is its member's name, the enum its proto name.
    body = {"purpose": "DATASET_PURPOSE_EVAL_QUESTION_ANSWER", "dataset_id": "via-proxy",
            "source": {"rows": {"rows": ROWS}}, "metadata": {"origin": "grpc-gateway"}}
    registered = proxy.post("/v1beta/datasets", json=body)
    assert registered.status_code == 200, registered.text
    ours = server.http.get("/v1beta/datasets/via-proxy").json()
    assert _as_ours(registered.json(), datasets_pb2.Dataset) == ours
    assert ours["purpose"] == "eval/question-answer" and ours["source"]["type"] == "rows"

    for path, message_type in [("/v1beta/datasets", datasets_pb2.ListDatasetsResponse),
                               ("/v1/datasets", datasets_pb2.ListDatasetsResponse),
                               ("/v1beta/datasets/via-proxy", datasets_pb2.Dataset),
                               ("/v1beta/datasetio/iterrows/via-proxy?limit=1", common_pb2.PaginatedResponse),
                               ("/v1beta/datasetio/iterrows/via-proxy?start_index=1", common_pb2.PaginatedResponse)]:
        through_proxy = proxy.get(path)
        assert through_proxy.status_code == 200, (path, through_proxy.text)
        assert _as_ours(through_proxy.json(), message_type) == server.http.get(path).json(), path
    page = proxy.get("/v1beta/datasetio/iterrows/via-proxy?limit=1").json()
    assert page["data"] == ROWS[:1] and page["has_more"] is True

    missing = proxy.get("/v1beta/datasets/nope")
    assert missing.status_code == server.http.get("/v1beta/datasets/nope").status_code == 404
    assert missing.json()["code"] == 5 and "nope" in missing.json()["message"]  # grpc-gateway's own error shape

    assert proxy.delete("/v1beta/datasets/via-proxy").status_code == 200
    assert server.http.get("/v1beta/datasets/via-proxy").status_code == 404
