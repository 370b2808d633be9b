"""The real CLI (`python -m server serve`) as a subprocess: readiness (gRPC health and the
gateway), graceful SIGTERM (exit 0, in-flight calls finish, health NOT_SERVING while
draining), durability across restarts and SIGKILL, gRPC server reflection and buf curl."""
from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import select
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory, struct_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from _serve import ROOT, Cli
from llamastack.datasetio.v1beta import datasetio_pb2
from llamastack.datasets.v1beta import datasets_pb2
from llamastack_grpc import http_bindings, services

QA = datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER
BIG_ROWS = 300_000


@pytest.fixture
def cli(tmp_path):
    """start(): a fresh `serve` on tmp_path/data (the same data on every call)."""
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    started: list[Cli] = []

    def start(extra_roots=()) -> Cli:
        server = Cli.start(tmp_path / "data", [files, *extra_roots])
        started.append(server)
        return server

    start.files = files
    yield start
    for server in started:
        server.close()


def _struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def _rows(server: Cli, dataset_id: str, **page) -> list[dict]:
    resp = server.http.get(f"/v1beta/datasetio/iterrows/{dataset_id}", params=page)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


# ---------------------------------------------------------------- lifecycle and durability


def test_sigterm_exits_zero_and_everything_reads_back(cli):
    server = cli()
    rows = [{"question": f"q{i}", "answer": f"a{i}", "n": i} for i in range(3)]
    resp = server.http.post("/v1beta/datasets", json={"dataset_id": "qa", "purpose": "eval/question-answer",
                                                      "source": {"type": "rows", "rows": rows},
                                                      "metadata": {"owner": "cli"}})
    assert resp.status_code == 200, resp.text
    registered = resp.json()
    server.io.AppendRows(datasetio_pb2.AppendRowsRequest(dataset_id="qa", rows=[_struct({"question": "q3", "n": 3})]),
                         timeout=10)
    appended = server.http.post("/v1beta/datasetio/append-rows/qa", json={"rows": [{"question": "q4", "n": 4}]})
    assert appended.status_code == 200
    csv = base64.b64encode(b"a,b\n1,x\n2,y\n").decode()
    req = datasets_pb2.RegisterDatasetRequest(purpose=QA, dataset_id="inline")
    req.source.uri.uri = f"data:text/csv;base64,{csv}"
    server.datasets.RegisterDataset(req, timeout=10)
    (cli.files / "f.jsonl").write_text('{"k": "v"}\n')
    assert server.http.post("/v1beta/datasets", json={
        "dataset_id": "file", "purpose": "post-training/messages",
        "source": {"type": "uri", "uri": (cli.files / "f.jsonl").as_uri()}}).status_code == 200
    assert server.http.delete("/v1beta/datasets/file").status_code == 200
    listed = server.http.get("/v1beta/datasets").json()

    server.signal(signal.SIGTERM)
    assert server.wait_exit() == 0, server.log()
    assert "stopped" in server.log()

    again = cli()
    assert again.http.get("/v1beta/datasets").json() == listed
    assert again.http.get("/v1beta/datasets/qa").json() == registered
    assert _rows(again, "qa") == rows + [{"question": "q3", "n": 3}, {"question": "q4", "n": 4}]
    assert _rows(again, "inline") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert again.http.get("/v1beta/datasets/file").status_code == 404
    # And the restarted server keeps working: the appended index continues where it was.
    again.io.AppendRows(datasetio_pb2.AppendRowsRequest(dataset_id="qa", rows=[_struct({"n": 5})]), timeout=10)
    assert _rows(again, "qa", start_index=5) == [{"n": 5}]


def test_sigkill_right_after_an_acknowledged_append_loses_nothing(cli):
    server = cli()
    registered = server.http.post("/v1beta/datasets", json={"dataset_id": "log", "purpose": "eval/question-answer",
                                                            "source": {"type": "rows", "rows": [{"i": 0}]}})
    assert registered.status_code == 200
    expected = [{"i": 0}]
    for i in range(1, 11):
        if i % 2:
            server.io.AppendRows(datasetio_pb2.AppendRowsRequest(dataset_id="log", rows=[_struct({"i": i})]),
                                 timeout=10)
        else:
            resp = server.http.post("/v1beta/datasetio/append-rows/log", json={"rows": [{"i": i}]})
            assert resp.status_code == 200, resp.text
        expected.append({"i": i})
    # The last append was acknowledged: kill -9 now, with no chance to flush or close.
    server.signal(signal.SIGKILL)
    assert server.wait_exit() == -signal.SIGKILL

    again = cli()
    assert _rows(again, "log") == expected
    page = again.io.IterRows(datasetio_pb2.IterRowsRequest(dataset_id="log", start_index=10), timeout=10)
    assert [json_format.MessageToDict(r) for r in page.data] == [{"i": 10.0}] and not page.has_more


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    path = folder / "big.csv"
    with open(path, "w") as f:
        f.write("id,question,answer\n")
        f.writelines(f"{i},question number {i},{i * 2}\n" for i in range(BIG_ROWS))
    return path


IN_OPEN = 0x20  # inotify(7)


@contextlib.contextmanager
def _opened(path: Path):
    """An inotify watch on a file: `wait(timeout)` returns once any process has opened it (the
    server reading a source: the call that names it is then in flight)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    try:
        assert libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN) >= 0, os.strerror(ctypes.get_errno())

        def wait(timeout: float) -> bool:
            return bool(select.select([fd], [], [], timeout)[0])

        yield wait
    finally:
        os.close(fd)


class _Watch(threading.Thread):
    """Streams Health.Watch("") and records the statuses; cancels itself on NOT_SERVING
    (an open stream would otherwise hold the drain for the whole grace period)."""

    def __init__(self, server: Cli):
        super().__init__(daemon=True)
        self.statuses: list[int] = []
        self.first = threading.Event()
        self.call = server.health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)

    def run(self):
        try:
            for response in self.call:
                self.statuses.append(response.status)
                self.first.set()
                if response.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                    self.call.cancel()
                    return
        except grpc.RpcError:
            pass
        finally:
            self.first.set()


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_sigterm_during_a_slow_register_lets_it_finish(cli, big_csv, protocol):
    server = cli(extra_roots=[big_csv.parent])
    watch = _Watch(server)
    watch.start()
    assert watch.first.wait(10) and watch.statuses[:1] == [health_pb2.HealthCheckResponse.SERVING]

    uri = big_csv.as_uri()
    outcome: dict = {}

    def register():
        try:
            if protocol == "grpc":
                req = datasets_pb2.RegisterDatasetRequest(purpose=QA, dataset_id="big")
                req.source.uri.uri = uri
                outcome["answer"] = server.datasets.RegisterDataset(req, timeout=60).identifier
            else:
                resp = server.http.post("/v1beta/datasets", json={
                    "dataset_id": "big", "purpose": "eval/question-answer", "source": {"type": "uri", "uri": uri}})
                outcome["answer"] = (resp.status_code, resp.json())
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcome["error"] = exc

    caller = threading.Thread(target=register, daemon=True)
    with _opened(big_csv) as opened:
        caller.start()
        # The server opens the file only while serving the call; loading 300k rows then takes seconds.
        assert opened(30), f"the server never read the source: {outcome}\n{server.log()}"
    server.signal(signal.SIGTERM)

    caller.join(60)
    assert not caller.is_alive(), "the in-flight call did not return"
    assert "error" not in outcome, f"{outcome['error']!r}\n{server.log()}"
    if protocol == "grpc":
        assert outcome["answer"] == "big"
    else:
        status, body = outcome["answer"]
        assert status == 200, body
        assert body["identifier"] == "big" and body["source"] == {"type": "uri", "uri": uri}
    assert server.wait_exit() == 0, server.log()

    # While draining, health said NOT_SERVING.
    watch.join(10)
    assert watch.statuses[0] == health_pb2.HealthCheckResponse.SERVING
    assert health_pb2.HealthCheckResponse.NOT_SERVING in watch.statuses, watch.statuses

    again = cli(extra_roots=[big_csv.parent])
    assert again.http.get("/v1beta/datasets/big").json()["source"] == {"type": "uri", "uri": uri}
    assert _rows(again, "big", limit=1) == [{"id": 0, "question": "question number 0", "answer": 0}]
    assert _rows(again, "big", start_index=150_000, limit=1) == [
        {"id": 150_000, "question": "question number 150000", "answer": 300_000}]
    last = again.http.get("/v1beta/datasetio/iterrows/big", params={"start_index": BIG_ROWS - 1}).json()
    assert last == {"data": [{"id": BIG_ROWS - 1, "question": f"question number {BIG_ROWS - 1}",
                              "answer": 2 * (BIG_ROWS - 1)}], "has_more": False}
    before_last = again.http.get("/v1beta/datasetio/iterrows/big",
                                 params={"start_index": BIG_ROWS - 2, "limit": 1}).json()
    assert before_last["has_more"] is True
    assert again.http.get("/v1beta/datasetio/iterrows/big", params={"start_index": BIG_ROWS}).json() == {
        "data": [], "has_more": False}


def test_health_reports_implemented_services_serving(cli):
    server = cli()
    # Services with routes in /v1/inspect/routes are implemented; the others are NOT_SERVING
    # (tests/test_health.py covers models and engines).
    served = {route["route"] for route in server.http.get("/v1/inspect/routes").json()["data"]}
    for service in services():
        implemented = any(b.path in served for b in http_bindings(service))
        response = server.health.Check(health_pb2.HealthCheckRequest(service=service.full_name), timeout=5)
        expected = health_pb2.HealthCheckResponse.SERVING if implemented else health_pb2.HealthCheckResponse.NOT_SERVING
        assert response.status == expected, service.full_name
    assert server.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as info:
        server.health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    server.signal(signal.SIGTERM)
    assert server.wait_exit() == 0, server.log()


# ---------------------------------------------------------------- reflection


@pytest.fixture(scope="module")
def reflected(tmp_path_factory):
    """One `serve` for the read-only reflection tests."""
    data = tmp_path_factory.mktemp("reflection")
    (data / "files").mkdir()
    server = Cli.start(data / "data", [data / "files"])
    yield server
    server.close()


def test_reflection_lists_every_service(reflected):
    listed = set(ProtoReflectionDescriptorDatabase(reflected.channel).get_services())
    expected = {s.full_name for s in services()} | {"grpc.health.v1.Health"}
    assert expected - listed == set(), sorted(expected - listed)
    assert {"llamastack.datasets.v1beta.DatasetsService", "llamastack.datasetio.v1beta.DatasetIOService",
            "grpc.reflection.v1alpha.ServerReflection"} <= listed


def test_reflection_resolves_a_method_by_its_full_name(reflected):
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(reflected.channel))
    register = pool.FindMethodByName("llamastack.datasets.v1beta.DatasetsService.RegisterDataset")
    assert register.input_type.full_name == "llamastack.datasets.v1beta.RegisterDatasetRequest"
    assert register.output_type.full_name == "llamastack.datasets.v1beta.Dataset"


def test_reflected_descriptors_are_enough_to_call_the_service(reflected):
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(reflected.channel))
    service = pool.FindServiceByName("llamastack.datasets.v1beta.DatasetsService")
    register = service.methods_by_name["RegisterDataset"]
    assert register.full_name == "llamastack.datasets.v1beta.DatasetsService.RegisterDataset"
    assert register.input_type.full_name == "llamastack.datasets.v1beta.RegisterDatasetRequest"
    assert register.output_type.full_name == "llamastack.datasets.v1beta.Dataset"
    iterrows = pool.FindServiceByName("llamastack.datasetio.v1beta.DatasetIOService").methods_by_name["IterRows"]
    assert iterrows.output_type.full_name == "llamastack.common.v1.PaginatedResponse"
    assert set(iterrows.input_type.fields_by_name) == {"dataset_id", "start_index", "limit"}

    # A client that knows nothing but what reflection told it can call the service.
    request_class = message_factory.GetMessageClass(register.input_type)
    response_class = message_factory.GetMessageClass(register.output_type)
    request = json_format.ParseDict({"purpose": "DATASET_PURPOSE_EVAL_QUESTION_ANSWER", "dataset_id": "reflected",
                                     "source": {"rows": {"rows": [{"x": 1}]}}}, request_class())
    call = reflected.channel.unary_unary("/llamastack.datasets.v1beta.DatasetsService/RegisterDataset",
                                         request_serializer=request_class.SerializeToString,
                                         response_deserializer=response_class.FromString)
    answer = call(request, timeout=10)
    assert answer.identifier == "reflected" and answer.provider_id == "localfs"
    assert reflected.http.get("/v1beta/datasetio/iterrows/reflected").json() == {"data": [{"x": 1}], "has_more": False}


BUF = ROOT / ".venv" / "bin" / "buf"


@pytest.mark.skipif(not BUF.exists() and shutil.which("buf") is None, reason="buf is not installed")
def test_buf_curl_lists_and_calls_methods_through_reflection(reflected):
    buf = str(BUF) if BUF.exists() else shutil.which("buf")
    server = reflected
    url = f"http://127.0.0.1:{server.grpc_port}"
    common = ["--protocol", "grpc", "--http2-prior-knowledge"]
    listed = subprocess.run([buf, "curl", "--list-methods", *common, url],
                            capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    methods = set(listed.stdout.split())
    assert {"llamastack.datasets.v1beta.DatasetsService/RegisterDataset",
            "llamastack.datasets.v1beta.DatasetsService/ListDatasets",
            "llamastack.datasetio.v1beta.DatasetIOService/IterRows",
            "llamastack.datasetio.v1beta.DatasetIOService/AppendRows",
            "grpc.health.v1.Health/Check"} <= methods, listed.stdout

    registered = subprocess.run(
        [buf, "curl", *common, "--data",
         ('{"purpose": "DATASET_PURPOSE_EVAL_QUESTION_ANSWER", "dataset_id": "via-buf",'
          ' "source": {"rows": {"rows": [{"q": "x"}]}}}'),
         f"{url}/llamastack.datasets.v1beta.DatasetsService/RegisterDataset"],
        capture_output=True, text=True, timeout=60, check=False)
    assert registered.returncode == 0, registered.stderr
    assert '"via-buf"' in registered.stdout
    missing = subprocess.run(
        [buf, "curl", *common, "--data", '{"dataset_id": "nope"}',
         f"{url}/llamastack.datasets.v1beta.DatasetsService/GetDataset"],
        capture_output=True, text=True, timeout=60, check=False)
    assert missing.returncode != 0
    assert "not_found" in missing.stderr.lower() or "not found" in missing.stderr.lower(), missing.stderr
    assert server.http.get("/v1beta/datasets/via-buf").json()["identifier"] == "via-buf"
