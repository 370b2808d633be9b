"""The inference tests' calls, over either protocol: chat, streamed chat, rerank and reward
scoring through tests/_client.py's dual-protocol Client, answers in one plain shape (every
candidate field present), so that a test can run over either protocol and compare them."""
from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

from sentence_transformers import CrossEncoder

from _client import Client
from llamastack.inference.v0 import inference_pb2 as chat_pb2
from llamastack_grpc.jsonmap import from_json

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


def chat_request(body: dict) -> chat_pb2.ChatCompletionRequest:
    """A chat body as the gRPC request, for the tests that drive the stub themselves (cancel, deadline)."""
    return from_json(body, chat_pb2.ChatCompletionRequest)


# ---------------------------------------------------------------- the plain shape


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


# ---------------------------------------------------------------- the calls

CHAT = "llamastack.inference.v0.InferenceService/ChatCompletion"
STREAM_CHAT = "llamastack.inference.v0.InferenceService/StreamChatCompletion"
RERANK = "llamastack.inference.v1alpha.InferenceService/Rerank"
SCORE_REWARD = "llamastack.rewardscoring.v0.RewardScoringService/ScoreReward"


class InferenceApi:
    def __init__(self, server, protocol: str):
        self.protocol = protocol
        self.client = Client(server, protocol)

    def chat(self, body: dict) -> dict:
        return chat_from_json(self.client.call(CHAT, body))

    def stream(self, body: dict) -> list[dict]:
        return [chat_from_json(e) for e in self.client.stream(STREAM_CHAT, body)]

    def rerank(self, model: str, query, items: list, max_num_results: int | None = None) -> list[dict]:
        body = {"model": model, "query": query, "items": items}
        if max_num_results is not None:
            body["max_num_results"] = max_num_results
        return self.client.call(RERANK, body, timeout=60)["data"]

    def score(self, body: dict) -> dict:
        return self.client.call(SCORE_REWARD, body, timeout=60)


def client_for(protocol: str, server) -> InferenceApi:
    return InferenceApi(server, protocol)


# ---------------------------------------------------------------- streams and the engine


def joined(events: list[dict]) -> dict[str, str]:
    """Each candidate's text, joined from a stream's deltas (keyed by candidate id)."""
    texts: dict[str, str] = {}
    for event in events:
        for c in event["candidates"]:
            texts[c["id"]] = texts.get(c["id"], "") + c["text"]
    return texts


# ---------------------------------------------------------------- the cross-encoder, read independently


@functools.cache
def _cross_encoder(checkpoint: str) -> CrossEncoder:
    return CrossEncoder(checkpoint, device="cpu", local_files_only=True)


def cross_encoder_ranking(checkpoint: Path, query: str, passages: list[str]) -> tuple[list[int], list[float]]:
    """The passages' indices ranked by the cross-encoder's own scores (best first) and those
    scores, computed here with sentence-transformers directly, not through the server."""
    scores = [float(s) for s in _cross_encoder(str(checkpoint)).predict([(query, p) for p in passages])]
    order = sorted(range(len(passages)), key=lambda i: scores[i], reverse=True)
    return order, [scores[i] for i in order]
