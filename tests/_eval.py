"""The eval API through the shared dual-protocol client (tests/_client.py): `api(rpc, **body)`
with the spec's JSON, over gRPC or REST; and the pieces eval tests share."""
from __future__ import annotations

import pytest

from _client import ApiError, Client

SERVICE = "llamastack.eval.v1alpha.EvalService"
GREEDY = {"strategy": {"type": "greedy"}, "max_tokens": 4}


class EvalApi:
    def __init__(self, server, protocol: str):
        self.client = Client(server, protocol, timeout=300)
        self.name = protocol

    def __call__(self, rpc: str, **body):
        """The answer's JSON; None for an empty answer."""
        return self.client.call(f"{SERVICE}/{rpc}", body)

    def error(self, rpc: str, **body) -> ApiError:
        with pytest.raises(ApiError) as caught:
            self(rpc, **body)
        return caught.value

    def is_precondition_failure(self, error: ApiError) -> bool:
        """FAILED_PRECONDITION over gRPC, 400 over REST (the gateway's mapping)."""
        return error.code == "FAILED_PRECONDITION" if self.name == "grpc" else error.http_status == 400


def names_field(error: ApiError, field: str) -> bool:
    """A 400 whose message starts with the field's path (and, over gRPC, a BadRequest naming it)."""
    return error.code == "INVALID_ARGUMENT" and error.message.startswith(f"{field}:") and (
        error.http_status == 400 if error.http_status is not None else field in error.fields)


def model_candidate(max_tokens: int = 4, **extra) -> dict:
    return {"type": "model", "model": "tiny-llama", "sampling_params": {**GREEDY, "max_tokens": max_tokens}, **extra}


def register_dataset(http, dataset_id: str, rows: list[dict], purpose: str = "eval/question-answer") -> None:
    response = http.post("/v1beta/datasets", json={"dataset_id": dataset_id, "purpose": purpose,
                                                    "source": {"type": "rows", "rows": rows}})
    assert response.status_code == 200, response.text
