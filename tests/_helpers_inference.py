"""Protocol adapters for the inference tests: the same chat, rerank and reward calls over
the REST gateway (JSON) and over gRPC (the generated stubs, protos built by hand, not
through the gateway's JSON mapping). Both give answers in one plain shape, so that a
test can run over either protocol and compare them."""
from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from llamastack.common.v0 import common_pb2 as v0
from llamastack.common.v1 import inference_pb2 as v1_inference
from llamastack.inference.v0 import inference_pb2 as chat_pb2
from llamastack.inference.v0 import inference_pb2_grpc as chat_grpc
from llamastack.inference.v1alpha import inference_pb2 as rerank_pb2
from llamastack.inference.v1alpha import inference_pb2_grpc as rerank_grpc
from llamastack.rewardscoring.v0 import rewardscoring_pb2 as reward_pb2
from llamastack.rewardscoring.v0 import rewardscoring_pb2_grpc as reward_grpc

# A JSON schema that constrained decoding must satisfy even from random weights.
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "member": {"type": "boolean"},
        "colour": {"enum": ["red", "green", "blue"]},
    },
    "required": ["name", "age", "member", "colour"],
    "additionalProperties": False,
}
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 12}, "days": {"type": "integer", "minimum": 1,
                                                                         "maximum": 14}},
    "required": ["city", "days"],
    "additionalProperties": False,
}
WEATHER = {"name": "get_weather", "description": "The weather forecast for a city.", "input_schema": WEATHER_SCHEMA}
FINISH_NAMES = {v0.FINISH_REASON_STOP: "stop", v0.FINISH_REASON_MAX_LENGTH: "max-length",
                v0.FINISH_REASON_SAFETY: "safety"}
HTTP_CODES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 499: "CANCELLED",
              503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class ApiError(Exception):
    """An error answer: the gRPC status code name (REST statuses mapped back), the message
    and the fields it names (REST: the detail text; gRPC: BadRequest field violations)."""

    def __init__(self, code: str, message: str, fields: tuple[str, ...] = (), http_status: int | None = None,
                 body: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields
        self.http_status = http_status
        self.body = body

    def names(self, field: str) -> bool:
        """Whether the error points at `field` (in its message, or as a field violation)."""
        return field in self.fields or field in self.message


def user(text: str) -> dict:
    return {"role": "user", "text": text}


def written_call(text: str, prompt_format: str) -> tuple[str, dict]:
    """(tool name, arguments) of a call as the model wrote it in a tool prompt format,
    read here independently of the server's own parser."""
    if prompt_format == "function_tag":
        match = re.fullmatch(r"<function=(\w+)>(.*)</function>", text, re.DOTALL)
        assert match, text
        return match.group(1), json.loads(match.group(2))
    if prompt_format == "python_list":
        (call,) = ast.parse(text, mode="eval").body.elts
        return call.func.id, {k.arg: json.loads(ast.get_source_segment(text, k.value)) for k in call.keywords}
    written = json.loads(text)
    return written["name"], written["parameters"]


def chat_body(prompt: str, **options) -> dict:
    """A REST chat body: one user message and these options."""
    return {"messages": [user(prompt)], "options": options}


# ---------------------------------------------------------------- JSON -> protos, by hand


def _struct(value: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def message_proto(message: dict) -> v0.Message:
    if "role" in message:
        role = {"user": v0.MODEL_INPUT_MESSAGE_ROLE_USER, "tool": v0.MODEL_INPUT_MESSAGE_ROLE_TOOL}[message["role"]]
        return v0.Message(input=v0.ModelInputMessage(role=role, text=message.get("text", "")))
    output = v0.ModelOutputMessage(text=message.get("text", ""))
    for key in ("id", "eot"):
        if key in message:
            setattr(output, key, message[key])
    return v0.Message(output=output)


def options_proto(options: dict) -> v0.Options:
    options = dict(options)
    fmt = options.pop("response_format", None)
    proto = v0.Options(**options)
    if fmt is not None:
        if fmt["type"] == "json_schema":
            proto.response_format.json_schema.type = v1_inference.RESPONSE_FORMAT_TYPE_JSON_SCHEMA
            proto.response_format.json_schema.json_schema.update(fmt["json_schema"])
        else:
            proto.response_format.grammar.type = v1_inference.RESPONSE_FORMAT_TYPE_GRAMMAR
            proto.response_format.grammar.bnf.update(fmt["bnf"])
    return proto


def chat_proto(body: dict) -> chat_pb2.ChatCompletionRequest:
    request = chat_pb2.ChatCompletionRequest(messages=[message_proto(m) for m in body["messages"]],
                                             options=options_proto(body.get("options", {})))
    for key in ("model", "n_completions", "tool_choice"):
        if key in body:
            setattr(request, key, body[key])
    if "tool_prompt_format" in body:
        request.tool_prompt_format = v1_inference.ToolPromptFormat.Value(
            f"TOOL_PROMPT_FORMAT_{body['tool_prompt_format'].upper()}")
    for tool in body.get("tools", []):
        proto = request.tools.add(name=tool["name"])
        if "description" in tool:
            proto.description = tool["description"]
        if "input_schema" in tool:
            proto.input_schema.update(tool["input_schema"])
    return request


# ---------------------------------------------------------------- protos -> the plain shape


def _integral(value):
    """Struct numbers are doubles: whole ones back to int, as the REST JSON has them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def candidate_from_proto(c: v0.ModelOutputMessage) -> dict:
    tool_call = None
    if c.HasField("tool_call"):
        arguments = json_format.MessageToDict(c.tool_call.arguments[0]) if c.tool_call.arguments else {}
        tool_call = {"name": c.tool_call.name, "arguments": _integral(arguments)}
    return {"id": c.id, "text": c.text, "tokens": list(c.tokens), "log_probs": list(c.log_probs),
            "finish_reason": FINISH_NAMES[c.finish_reason] if c.HasField("finish_reason") else None,
            "tool_call": tool_call}


def chat_from_proto(r: chat_pb2.ChatCompletionResponse) -> dict:
    usage = None
    if r.HasField("usage"):
        usage = {"input_tokens": r.usage.input_tokens, "output_tokens": r.usage.output_tokens,
                 "total_tokens": r.usage.total_tokens}
    return {"id": r.id, "model_called": r.model_called if r.HasField("model_called") else None,
            "usage": usage, "candidates": [candidate_from_proto(c) for c in r.candidates]}


def candidate_from_json(c: dict) -> dict:
    tool_call = None
    if c.get("tool_call"):
        arguments = c["tool_call"].get("arguments") or [{}]
        tool_call = {"name": c["tool_call"].get("name"), "arguments": arguments[0]}
    return {"id": c.get("id"), "text": c.get("text", ""), "tokens": c.get("tokens", []),
            "log_probs": c.get("log_probs", []), "finish_reason": c.get("finish_reason"), "tool_call": tool_call}


def chat_from_json(r: dict) -> dict:
    return {"id": r.get("id"), "model_called": r.get("model_called"), "usage": r.get("usage"),
            "candidates": [candidate_from_json(c) for c in r.get("candidates", [])]}


# ---------------------------------------------------------------- clients


def _grpc_error(exc: grpc.RpcError) -> ApiError:
    fields: list[str] = []
    status = rpc_status.from_call(exc)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields += [v.field for v in bad.field_violations]
    return ApiError(exc.code().name, exc.details() or "", tuple(fields))


def _rest_error(response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail", "") if isinstance(body, dict) else response.text
    return ApiError(HTTP_CODES.get(response.status_code, str(response.status_code)), detail,
                    http_status=response.status_code, body=body)


def parse_sse(lines) -> list[dict]:
    """The JSON payloads of an SSE stream's `data:` lines; an `event: error` frame raises."""
    events, kind = [], None
    for line in lines:
        if line.startswith("event:"):
            kind = line[len("event:"):].strip()
        elif line.startswith("data:"):
            payload = json.loads(line[len("data:"):].strip())
            if kind == "error":
                raise ApiError(HTTP_CODES.get(payload.get("status"), str(payload.get("status"))),
                               payload.get("detail", ""), body=payload)
            events.append(payload)
        elif not line:
            kind = None
    return events


class RestClient:
    protocol = "rest"

    def __init__(self, server):
        self.http = server.http

    def _post(self, path: str, body: dict) -> dict:
        response = self.http.post(path, json=body)
        if response.status_code != 200:
            raise _rest_error(response)
        return response.json()

    def chat(self, body: dict) -> dict:
        return chat_from_json(self._post("/inference", body))

    def stream(self, body: dict) -> list[dict]:
        with self.http.stream("POST", "/inference/stream", json=body) as response:
            if response.status_code != 200:
                response.read()
                raise _rest_error(response)
            assert response.headers["content-type"].startswith("text/event-stream")
            return [chat_from_json(e) for e in parse_sse(response.iter_lines())]

    def rerank(self, model: str, query, items: list, max_num_results: int | None = None) -> list[dict]:
        body = {"model": model, "query": query, "items": items}
        if max_num_results is not None:
            body["max_num_results"] = max_num_results
        return self._post("/v1alpha/inference/rerank", body)["data"]

    def score(self, body: dict) -> dict:
        return self._post("/reward_scoring", body)


def _rerank_value(value, cls):
    if isinstance(value, str):
        return cls(text=value)
    if value.get("type") == "text":
        return cls(text_part=rerank_pb2.OpenAIChatCompletionContentPartTextParam(type="text", text=value["text"]))
    return cls(image_part=rerank_pb2.OpenAIChatCompletionContentPartImageParam(
        type="image_url", image_url=rerank_pb2.OpenAIImageURL(url=value["image_url"]["url"])))


class GrpcClient:
    protocol = "grpc"

    def __init__(self, server):
        self.chat_stub = chat_grpc.InferenceServiceStub(server.channel)
        self.rerank_stub = rerank_grpc.InferenceServiceStub(server.channel)
        self.reward_stub = reward_grpc.RewardScoringServiceStub(server.channel)

    @staticmethod
    def _call(method: Callable, request, **kwargs):
        try:
            return method(request, **kwargs)
        except grpc.RpcError as exc:
            raise _grpc_error(exc) from None

    def chat(self, body: dict) -> dict:
        return chat_from_proto(self._call(self.chat_stub.ChatCompletion, chat_proto(body), timeout=120))

    def stream(self, body: dict) -> list[dict]:
        try:
            return [chat_from_proto(e) for e in self.chat_stub.StreamChatCompletion(chat_proto(body), timeout=120)]
        except grpc.RpcError as exc:
            raise _grpc_error(exc) from None

    def rerank(self, model: str, query, items: list, max_num_results: int | None = None) -> list[dict]:
        request = rerank_pb2.RerankRequest(model=model, query=_rerank_value(query, rerank_pb2.RerankQuery),
                                           items=[_rerank_value(i, rerank_pb2.RerankItem) for i in items])
        if max_num_results is not None:
            request.max_num_results = max_num_results
        response = self._call(self.rerank_stub.Rerank, request, timeout=60)
        return [{"index": d.index, "relevance_score": d.relevance_score} for d in response.data]

    def score(self, body: dict) -> dict:
        request = reward_pb2.ScoreRewardRequest(
            prompt_with_response=[message_proto(m) for m in body["prompt_with_response"]])
        if "reward" in body:
            request.reward = body["reward"]
        if "scoring_function" in body:
            request.scoring_function.name = body["scoring_function"]["name"]
        response = self._call(self.reward_stub.ScoreReward, request, timeout=60)
        out = {"id": response.id}
        for key in ("score", "logprob"):
            if response.HasField(key):
                out[key] = getattr(response, key)
        return out


def client_for(protocol: str, server):
    return RestClient(server) if protocol == "rest" else GrpcClient(server)


# ---------------------------------------------------------------- streams and the engine


def joined(events: list[dict]) -> dict[str, str]:
    """Each candidate's text, joined from a stream's deltas (keyed by candidate id)."""
    texts: dict[str, str] = {}
    for event in events:
        for c in event["candidates"]:
            texts[c["id"]] = texts.get(c["id"], "") + c["text"]
    return texts


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Polls predicate until it holds or timeout seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
