"""AIP-193 details on every error status: ErrorInfo (reason, domain) always, field
violations for bad fields, RetryInfo for RESOURCE_EXHAUSTED and UNAVAILABLE; the REST
body stays exactly the specs' Error."""
from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc
from server import errors
from server.rpc.status import to_grpc_status


def _details(status) -> dict:
    found = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo, error_details_pb2.BadRequest):
            if detail.Is(kind.DESCRIPTOR):
                found[kind.__name__] = kind()
                detail.Unpack(found[kind.__name__])
    return found


def _call_details(error: grpc.RpcError) -> dict:
    return _details(rpc_status.from_call(error))


@pytest.mark.parametrize("error, reason, retry", [
    (errors.NotFound("x"), "NOT_FOUND", False),
    (errors.AlreadyExists("x"), "ALREADY_EXISTS", False),
    (errors.FailedPrecondition("x"), "FAILED_PRECONDITION", False),
    (errors.ResourceExhausted("x", retry_after=2.5), "RESOURCE_EXHAUSTED", True),
    (errors.Unavailable("x", reason="MODEL_UNAVAILABLE"), "MODEL_UNAVAILABLE", True),
])
def test_each_error_kind_carries_error_info_and_retry_info_where_retryable(error, reason, retry):
    status = to_grpc_status(error)
    details = _details(status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"]))
    assert (details["ErrorInfo"].reason, details["ErrorInfo"].domain) == (reason, "llamastack.grpc")
    assert ("RetryInfo" in details) == retry
    if isinstance(error, errors.ResourceExhausted):
        delay = details["RetryInfo"].retry_delay
        assert (delay.seconds, delay.nanos) == (2, 500_000_000)


def test_grpc_errors_carry_error_info_and_field_violations(server):
    stub = datasets_pb2_grpc.DatasetsServiceStub(server.channel)
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetDataset(datasets_pb2.GetDatasetRequest(dataset_id="nope"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert _call_details(missing.value)["ErrorInfo"].reason == "NOT_FOUND"

    with pytest.raises(grpc.RpcError) as bad:
        stub.RegisterDataset(datasets_pb2.RegisterDatasetRequest(dataset_id="d"), timeout=10)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = _call_details(bad.value)
    assert details["ErrorInfo"].reason == "INVALID_ARGUMENT"
    assert [v.field for v in details["BadRequest"].field_violations]


def test_rest_error_body_is_exactly_the_specs_error(server):
    response = server.http.get("/v1beta/datasets/nope")
    assert response.status_code == 404
    assert set(response.json()) == {"status", "title", "detail"}


def test_unimplemented_rpcs_carry_error_info(unserved_channel):
    list_datasets = unserved_channel.unary_unary("/llamastack.datasets.v1beta.DatasetsService/ListDatasets")
    with pytest.raises(grpc.RpcError) as refused:
        list_datasets(b"", timeout=10)  # a valid (empty) request: only the missing servicer refuses it
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert _call_details(refused.value)["ErrorInfo"].reason == "NOT_IMPLEMENTED"
    assert refused.value.code().value[0] == code_pb2.UNIMPLEMENTED
