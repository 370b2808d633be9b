"""Transport settings: a page larger than gRPC's default 4 MiB comes back whole over gRPC
and REST; message sizes are configurable; the gateway honours Grpc-Timeout."""
from __future__ import annotations

import threading
from concurrent import futures

import grpc
import httpx
import pytest

from gateway.app import GrpcChannel, create_app
from llamastack.datasetio.v1beta import datasetio_pb2, datasetio_pb2_grpc
from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc
from server.transport import MIB, TransportSettings
from tests.conftest import RunningServer, make_config

ROW_TEXT = "x" * (100 * 1024)
ROWS = 50  # 5 MiB of rows in one page


def _register(channel: grpc.Channel, dataset_id: str, rows: int) -> None:
    request = datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
                                                  dataset_id=dataset_id)
    for i in range(rows):
        request.source.rows.rows.add().update({"i": i, "text": ROW_TEXT})
    datasets_pb2_grpc.DatasetsServiceStub(channel).RegisterDataset(request, timeout=60)


def test_a_page_larger_than_4_mib_comes_back_whole(server):
    wide = [("grpc.max_receive_message_length", 64 * MIB)]
    with grpc.insecure_channel(server.grpc_target, options=wide) as channel:
        _register(channel, "big", ROWS)
        page = datasetio_pb2_grpc.DatasetIOServiceStub(channel).IterRows(
            datasetio_pb2.IterRowsRequest(dataset_id="big", limit=ROWS), timeout=60)
        assert page.ByteSize() > 4 * MIB
        assert [row["i"] for row in page.data] == list(range(ROWS))
    response = server.http.get("/v1beta/datasetio/iterrows/big", params={"limit": ROWS})
    assert response.status_code == 200, response.text[:300]
    assert len(response.content) > 4 * MIB
    body = response.json()
    assert [row["i"] for row in body["data"]] == list(range(ROWS)) and body["has_more"] is False
    assert all(row["text"] == ROW_TEXT for row in body["data"])


def test_message_size_limits_are_configurable(tmp_path):
    (tmp_path / "files").mkdir()
    small = RunningServer(make_config(tmp_path, transport={"max_receive_message_bytes": 64 * 1024}))
    try:
        with pytest.raises(grpc.RpcError) as refused:
            _register(small.channel, "too-big", 2)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        fits = datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_EVAL_QUESTION_ANSWER,
                                                   dataset_id="fits")
        fits.source.rows.rows.add().update({"i": 0})
        stub = datasets_pb2_grpc.DatasetsServiceStub(small.channel)
        assert stub.RegisterDataset(fits, timeout=10).identifier == "fits"
    finally:
        small.stop()


@pytest.fixture
def never_answers():
    """A gRPC server whose ListDatasets waits until its caller gives up, noting the
    deadline it was given."""
    seen: list[float | None] = []

    def list_datasets(request, context):
        seen.append(context.time_remaining())
        gone = threading.Event()
        context.add_callback(gone.set)
        gone.wait(60)
        return datasets_pb2.ListDatasetsResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.unary_unary_rpc_method_handler(
        list_datasets, request_deserializer=datasets_pb2.ListDatasetsRequest.FromString,
        response_serializer=datasets_pb2.ListDatasetsResponse.SerializeToString)
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("llamastack.datasets.v1beta.DatasetsService", {"ListDatasets": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", seen
    server.stop(0)


async def test_grpc_timeout_header_is_the_calls_deadline(never_answers):
    target, seen = never_answers
    app = create_app(GrpcChannel(target))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        expired = await http.get("/v1beta/datasets", headers={"Grpc-Timeout": "200m"})
        assert expired.status_code == 504
        assert expired.json()["title"] == "Gateway Timeout" and set(expired.json()) == {"status", "title", "detail"}
        # The server was given the caller's deadline (grpc rounds a timeout up to its clock's
        # granularity on the way: a few ms over 0.2 s is still that deadline).
        assert 0 < seen[0] <= 0.21
        malformed = await http.get("/v1beta/datasets", headers={"Grpc-Timeout": "soon"})
        assert malformed.status_code == 400 and "Grpc-Timeout" in malformed.json()["detail"]
    assert len(seen) == 1  # the malformed header never reached the server


def test_transport_settings_become_grpc_options():
    settings = TransportSettings(max_connection_age_s=300, max_connection_age_grace_s=20, max_concurrent_streams=100,
                                 keepalive_time_s=30)
    options = dict(settings.server_options())
    assert options["grpc.max_connection_age_ms"] == 300_000 and options["grpc.max_connection_age_grace_ms"] == 20_000
    assert options["grpc.max_concurrent_streams"] == 100 and options["grpc.keepalive_time_ms"] == 30_000
    assert "grpc.max_connection_age_ms" not in dict(TransportSettings().server_options())
    with pytest.raises(ValueError, match="keepalive_time_s"):
        TransportSettings(keepalive_time_s=-1)
