"""One client for the eval API over either protocol, speaking the REST JSON shapes: over
REST through the gateway, over gRPC through the stubs (JSON mapped by jsonmap). Errors
come back as ApiError with the HTTP status (gRPC codes mapped the gateway's way)."""
from __future__ import annotations

import grpc
from google.protobuf import message_factory
from llamastack.eval.v1alpha import eval_pb2
from llamastack_grpc import http_bindings
from llamastack_grpc.jsonmap import from_json, to_json

from gateway.errors import HTTP_STATUS

SERVICE = eval_pb2.DESCRIPTOR.services_by_name["EvalService"]
# The documented route of each RPC (its first binding: /v1alpha/...).
ROUTES = {}
for _binding in http_bindings(SERVICE):
    ROUTES.setdefault(_binding.method.name, _binding)

GREEDY = {"strategy": {"type": "greedy"}, "max_tokens": 4}


class ApiError(Exception):
    def __init__(self, status: int, detail: str, code: str = ""):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.detail, self.code = status, detail, code


class Rest:
    name = "rest"

    def __init__(self, http):
        self.http = http

    def __call__(self, rpc: str, **body):
        binding = ROUTES[rpc]
        path = binding.path
        for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
            path = path.replace("{" + name + "}", str(body.pop(name)))
        response = self.http.request(binding.verb, path, json=body if binding.body else None,
                                     params=None if binding.body else body)
        if response.status_code != 200:
            raise ApiError(response.status_code, response.json()["detail"])
        return response.json() if response.content else {}


class Grpc:
    name = "grpc"

    def __init__(self, channel):
        self.channel = channel

    def __call__(self, rpc: str, **body):
        method = SERVICE.methods_by_name[rpc]
        request = from_json(body, message_factory.GetMessageClass(method.input_type))
        call = self.channel.unary_unary(
            f"/{SERVICE.full_name}/{rpc}", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=message_factory.GetMessageClass(method.output_type).FromString)
        try:
            return to_json(call(request, timeout=300))
        except grpc.RpcError as exc:
            raise ApiError(HTTP_STATUS.get(exc.code(), 500), exc.details(), exc.code().name) from None


def client(protocol: str, server):
    return Grpc(server.channel) if protocol == "grpc" else Rest(server.http)


def model_candidate(max_tokens: int = 4, **extra) -> dict:
    return {"type": "model", "model": "tiny-llama", "sampling_params": {**GREEDY, "max_tokens": max_tokens}, **extra}


def register_dataset(http, dataset_id: str, rows: list[dict], purpose: str = "eval/question-answer") -> None:
    response = http.post("/v1beta/datasets", json={"dataset_id": dataset_id, "purpose": purpose,
                                                    "source": {"type": "rows", "rows": rows}})
    assert response.status_code == 200, response.text
