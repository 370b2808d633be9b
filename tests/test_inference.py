"""End-to-end tests of inference against a real server: chat (unary and streamed, over
gRPC and the REST gateway), constrained decoding, tool calls, cancellation, batching,
the models API, rerank and reward scoring.

The LLM is "tiny-llama", a random-weight Llama on the transformers engine: its text is
noise, so the tests check properties (determinism, agreement between paths, schema
validity, token accounting) rather than content. Rerank uses the real MiniLM model, so
its rankings are checked for content.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import jsonschema
import pytest

from _client import PROTOCOLS, ApiError
from _helpers_inference import (
    PERSON,
    WEATHER,
    WEATHER_SCHEMA,
    chat_body,
    chat_request,
    client_for,
    cross_encoder_ranking,
    joined,
    user,
    written_call,
)
from _wait import wait_until
from llamastack.inference.v0 import inference_pb2_grpc as chat_grpc
from llamastack.models.v1 import models_pb2, models_pb2_grpc

LLM = "tiny-llama"
EMBEDDING = "all-MiniLM-L6-v2"
REWARD = "tiny-reward"
CROSS_ENCODER = "tiny-cross-encoder"  # conftest's tiny_cross_encoder, served by inference_server


@pytest.fixture(params=PROTOCOLS)
def client(request, inference_server):
    return client_for(request.param, inference_server)


@pytest.fixture
def engine(inference_server):
    engine = inference_server.app.models.get(LLM, ("llm",))
    # Every test starts (and must leave) the engine idle; a leftover request would also
    # make the cancellation tests meaningless.
    assert wait_until(lambda: engine.active_requests == 0, timeout=10)
    return engine


def only(answer: dict) -> dict:
    assert len(answer["candidates"]) == 1
    return answer["candidates"][0]


def check_usage(answer: dict):
    usage = answer["usage"]
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] == sum(len(c["tokens"]) for c in answer["candidates"])
    assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"]


# ================================================================ chat


def test_chat_answer_usage_and_max_length(client):
    answer = client.chat({**chat_body("Tell me about Paris.", max_tokens=12), "model": LLM})
    candidate = only(answer)
    assert answer["model_called"] == LLM
    assert answer["id"]
    assert isinstance(candidate["text"], str) and candidate["text"]
    assert len(candidate["tokens"]) == 12
    assert candidate["finish_reason"] == "max-length"
    check_usage(answer)
    assert answer["usage"]["output_tokens"] == 12


def test_chat_without_model_uses_the_llm(client):
    answer = client.chat(chat_body("Hi", max_tokens=3))
    assert answer["model_called"] == LLM
    check_usage(answer)


def test_n_completions_gives_distinct_candidates(client):
    answer = client.chat({**chat_body("Name three colours.", max_tokens=6, temperature=1.0, seed=11),
                          "n_completions": 3})
    candidates = answer["candidates"]
    assert len(candidates) == 3
    assert len({c["id"] for c in candidates}) == 3
    assert all(c["id"] for c in candidates)
    for c in candidates:
        assert c["finish_reason"] in ("stop", "max-length")
        assert 1 <= len(c["tokens"]) <= 6
    # Each candidate samples with its own seed (seed + index): they are not copies.
    assert len({tuple(c["tokens"]) for c in candidates}) > 1
    check_usage(answer)


def test_logprobs_only_when_asked(client):
    body = chat_body("Count to five.", max_tokens=8)
    with_logprobs = only(client.chat({**body, "options": {**body["options"], "logprobs": True}}))
    assert len(with_logprobs["log_probs"]) == len(with_logprobs["tokens"]) == 8
    assert all(isinstance(p, float) and p <= 0 for p in with_logprobs["log_probs"])
    without = only(client.chat(body))
    assert without["log_probs"] == []
    assert without["tokens"] == with_logprobs["tokens"]  # asking for logprobs changes no token


def test_greedy_is_deterministic(client):
    body = chat_body("Describe the sea.", max_tokens=16, temperature=0.0)
    first, second = only(client.chat(body)), only(client.chat(body))
    assert first["tokens"] == second["tokens"]
    assert first["text"] == second["text"]


def test_seed_makes_sampling_reproducible(client):
    body = chat_body("Describe the sea.", max_tokens=16, temperature=1.0, seed=1234)
    first, second = only(client.chat(body)), only(client.chat(body))
    assert first["tokens"] == second["tokens"]
    other = only(client.chat(chat_body("Describe the sea.", max_tokens=16, temperature=1.0, seed=4321)))
    assert other["tokens"] != first["tokens"]


def _token_texts(server, body: dict) -> list[str]:
    """The text each token added, from a gRPC stream (one delta per token)."""
    events = client_for("grpc", server).stream(body)
    return [c["text"] for e in events for c in e["candidates"]]


def _printable(text: str) -> bool:
    return bool(text.strip()) and all(32 < ord(ch) < 127 for ch in text)


def test_stop_sequence_ends_the_answer_before_it(client, inference_server):
    body = chat_body("Write a long sentence about trains.", max_tokens=30)
    first = only(client.chat(body))
    pieces = _token_texts(inference_server, body)
    assert "".join(pieces) == first["text"]
    offset, stop = 0, None
    for i, piece in enumerate(pieces):
        # A later token whose whole text first occurs where that token starts.
        if i >= 3 and _printable(piece) and first["text"].find(piece) == offset:
            stop = piece
            break
        offset += len(piece)
    assert stop is not None, f"no usable stop string in {pieces!r}"
    second = only(client.chat({**body, "options": {**body["options"], "stop": [stop]}}))
    assert second["finish_reason"] == "stop"
    assert second["text"] == first["text"][:offset]
    assert stop not in second["text"]
    assert len(second["tokens"]) < len(first["tokens"])


def test_stop_sequence_spanning_tokens_is_not_leaked(client, inference_server):
    body = chat_body("Write a long sentence about trains.", max_tokens=30)
    first = only(client.chat(body))
    pieces = _token_texts(inference_server, body)
    offset, stop, cut = 0, None, None
    for i in range(2, len(pieces) - 1):
        offset = sum(len(p) for p in pieces[:i])
        a, b = pieces[i], pieces[i + 1]
        if _printable(a) and _printable(b):
            candidate = a[-1] + b[0]  # the last character of one token and the first of the next
            if first["text"].find(candidate) == offset + len(a) - 1:
                stop, cut = candidate, offset + len(a) - 1
                break
    assert stop is not None, f"no stop string spanning two tokens in {pieces!r}"
    second = only(client.chat({**body, "options": {**body["options"], "stop": [stop]}}))
    assert second["finish_reason"] == "stop"
    assert second["text"] == first["text"][:cut]


def test_invalid_request_values(client):
    with pytest.raises(ApiError) as error:
        client.chat({**chat_body("Hi", max_tokens=0)})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("options.max_tokens")
    with pytest.raises(ApiError) as error:
        client.chat({**chat_body("Hi", max_tokens=4), "n_completions": 0})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("n_completions")


def test_top_p_out_of_range_is_invalid_argument(client):
    with pytest.raises(ApiError) as error:
        client.chat(chat_body("Hi", max_tokens=4, temperature=1.0, top_p=0.0))
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("options.top_p")


# ================================================================ streaming


def _by_index(texts: dict[str, str]) -> dict[int, str]:
    return {int(key.rsplit("-", 1)[1]): value for key, value in texts.items()}


@pytest.mark.parametrize("n", [1, 2])
def test_stream_concatenates_to_the_unary_answer(client, n):
    body = {**chat_body("Tell me a story about a fox.", max_tokens=20), "n_completions": n}
    unary = client.chat(body)
    events = client.stream(body)
    assert len(events) >= 2
    texts = _by_index(joined(events))
    assert texts == {i: c["text"] for i, c in enumerate(unary["candidates"])}
    # One response id for the whole stream, and the candidates' ids derive from it.
    assert len({e["id"] for e in events}) == 1
    assert all(c["id"].startswith(events[0]["id"]) for e in events for c in e["candidates"])
    assert all(e["model_called"] == LLM for e in events)
    # The last event carries the usage, equal to the unary call's.
    assert events[-1]["usage"] == unary["usage"]
    assert all(e["usage"] is None for e in events[:-1])
    # Each candidate's last delta carries its finish reason, and only the last one does.
    deltas: dict[str, list[dict]] = {}
    for e in events:
        for c in e["candidates"]:
            deltas.setdefault(c["id"], []).append(c)
    assert len(deltas) == n
    for i, (_cid, pieces) in enumerate(sorted(deltas.items())):
        assert pieces[-1]["finish_reason"] == unary["candidates"][i]["finish_reason"] == "max-length"
        assert all(p["finish_reason"] is None for p in pieces[:-1])
        assert [t for p in pieces for t in p["tokens"]] == unary["candidates"][i]["tokens"]


def test_stream_errors_before_the_first_event(client):
    with pytest.raises(ApiError) as error:
        client.stream({**chat_body("Hi", max_tokens=4), "model": "nope"})
    assert error.value.code == "NOT_FOUND" and "nope" in error.value.message
    if client.protocol == "rest":
        assert error.value.http_status == 404


# ================================================================ structured output


def test_json_schema_samples_all_validate(client):
    count = 20 if client.protocol == "rest" else 8

    def one(seed: int) -> dict:
        return only(client.chat(chat_body("Describe a person as JSON.", max_tokens=120, temperature=1.0, seed=seed,
                                          response_format={"type": "json_schema", "json_schema": PERSON})))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(100, 100 + count)))
    assert len(answers) == count
    values = []
    for answer in answers:
        assert answer["finish_reason"] == "stop", answer
        value = json.loads(answer["text"])
        jsonschema.validate(value, PERSON)
        values.append(value)
    assert len({json.dumps(v, sort_keys=True) for v in values}) > 1  # sampled, not one fixed answer


def test_grammar_constrains_to_yes_or_no(client):
    fmt = {"type": "grammar", "bnf": {"grammar": 'root ::= "yes" | "no"'}}
    seen = set()
    for seed in range(6):
        answer = only(client.chat(chat_body("Is it raining?", max_tokens=10, temperature=1.0, seed=seed,
                                            response_format=fmt)))
        assert answer["text"] in ("yes", "no")
        assert answer["finish_reason"] == "stop"
        seen.add(answer["text"])
    greedy = only(client.chat(chat_body("Is it raining?", max_tokens=10, response_format=fmt)))
    assert greedy["text"] in ("yes", "no")


@pytest.mark.parametrize("fmt", [
    {"type": "json_schema", "json_schema": {"type": "no-such-type"}},
    {"type": "grammar", "bnf": {"grammar": "root ::= ("}},
], ids=["bad-schema", "bad-grammar"])
def test_invalid_response_format_is_invalid_argument(client, fmt, engine):
    with pytest.raises(ApiError) as error:
        client.chat(chat_body("Hi", max_tokens=5, response_format=fmt))
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("options.response_format")
    if client.protocol == "rest":
        assert error.value.http_status == 400
        assert error.value.body["status"] == 400
    else:
        assert any(f.startswith("options.response_format") for f in error.value.fields)


# ================================================================ tool calls

CLOCK = {"name": "get_time", "description": "The time in a city.",
         "input_schema": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}},
                          "required": ["city"]}}


def _tool_body(choice: str, seed: int | None = None, tools=(WEATHER,)) -> dict:
    options = {"max_tokens": 150}
    if seed is not None:
        options.update(temperature=1.0, seed=seed)
    return {"messages": [user("What is the weather in Paris for the next 3 days?")], "options": options,
            "tools": list(tools), "tool_choice": choice}


@pytest.mark.parametrize("prompt_format", ["json", "function_tag", "python_list"])
@pytest.mark.parametrize("seed", [None, 5, 6])
def test_tool_choice_required_calls_the_tool(client, seed, prompt_format):
    candidate = only(client.chat({**_tool_body("required", seed), "tool_prompt_format": prompt_format}))
    assert candidate["finish_reason"] == "stop"
    assert candidate["tool_call"] is not None, candidate["text"]
    assert candidate["tool_call"]["name"] == "get_weather"
    jsonschema.validate(candidate["tool_call"]["arguments"], WEATHER_SCHEMA)
    # The text is the call itself, as the model wrote it in the format asked for.
    assert written_call(candidate["text"], prompt_format) == ("get_weather", candidate["tool_call"]["arguments"])


def test_tool_prompt_format_changes_how_tools_are_offered(client):
    prompts = {fmt: client.chat({**_tool_body("auto"), "options": {"max_tokens": 1}, "tool_prompt_format": fmt})
               ["usage"]["input_tokens"] for fmt in ("json", "function_tag", "python_list")}
    assert len(set(prompts.values())) == 3, prompts


@pytest.mark.parametrize("seed", [None, 7])
def test_tool_choice_by_name_forces_that_tool(client, seed):
    candidate = only(client.chat(_tool_body("get_weather", seed, tools=(CLOCK, WEATHER))))
    assert candidate["tool_call"] is not None, candidate["text"]
    assert candidate["tool_call"]["name"] == "get_weather"
    jsonschema.validate(candidate["tool_call"]["arguments"], WEATHER_SCHEMA)


def test_streamed_tool_call_comes_with_the_last_delta(client):
    body = _tool_body("required", 9)
    events = client.stream(body)
    deltas = [c for e in events for c in e["candidates"]]
    assert all(d["tool_call"] is None for d in deltas[:-1])
    last = deltas[-1]
    assert last["finish_reason"] == "stop"
    assert last["tool_call"] is not None and last["tool_call"]["name"] == "get_weather"
    jsonschema.validate(last["tool_call"]["arguments"], WEATHER_SCHEMA)
    assert json.loads("".join(d["text"] for d in deltas))["parameters"] == last["tool_call"]["arguments"]
    assert only(client.chat(body))["tool_call"] == last["tool_call"]  # the same seed, the same call


def test_tool_choice_none_makes_no_call(client):
    for seed in (None, 8):
        body = _tool_body("none", seed)
        body["options"]["max_tokens"] = 30
        answer = client.chat(body)
        assert only(answer)["tool_call"] is None
        # The tools are not even shown to the model: the prompt is the one without tools.
        without_tools = client.chat({"messages": body["messages"], "options": body["options"]})
        assert answer["usage"]["input_tokens"] == without_tools["usage"]["input_tokens"]
        assert only(answer)["tokens"] == only(without_tools)["tokens"]
    offered = client.chat({**_tool_body("auto"), "options": {"max_tokens": 1}})
    assert offered["usage"]["input_tokens"] > answer["usage"]["input_tokens"]


def test_unknown_tool_choice_is_invalid_argument(client):
    with pytest.raises(ApiError) as error:
        client.chat(_tool_body("get_stock_price"))
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("tool_choice")
    assert "get_stock_price" in error.value.message
    with pytest.raises(ApiError) as error:
        client.chat({**_tool_body("required"), "tools": []})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("tool_choice")


def test_forced_tool_call_with_a_response_format_is_invalid_argument(client):
    body = _tool_body("required")
    body["options"]["response_format"] = {"type": "json_schema", "json_schema": {"type": "object"}}
    with pytest.raises(ApiError) as error:
        client.chat(body)
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("options.response_format")


# ================================================================ cancellation

LONG = {"max_tokens": 100000}


@pytest.mark.parametrize("n", [1, 3])
def test_cancelling_a_grpc_stream_aborts_the_engine_request(inference_server, engine, n):
    stub = chat_grpc.InferenceServiceStub(inference_server.channel)
    call = stub.StreamChatCompletion(chat_request({**chat_body("Talk forever.", **LONG), "n_completions": n}),
                                     timeout=120)
    for _ in range(3):
        next(call)
    assert engine.active_requests >= 1
    call.cancel()
    with pytest.raises(grpc.RpcError) as error:
        for _ in call:
            pass
    assert error.value.code() == grpc.StatusCode.CANCELLED
    assert wait_until(lambda: engine.active_requests == 0, timeout=10), "the engine request kept running"


def test_grpc_deadline_aborts_the_engine_request(inference_server, engine):
    stub = chat_grpc.InferenceServiceStub(inference_server.channel)
    future = stub.ChatCompletion.future(chat_request(chat_body("Talk forever.", **LONG)), timeout=1.5)
    assert wait_until(lambda: engine.active_requests == 1, timeout=5)
    with pytest.raises(grpc.RpcError) as error:
        future.result()
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: engine.active_requests == 0, timeout=10), "the engine request kept running"


def test_closing_an_sse_stream_aborts_the_engine_request(inference_server, engine):
    with inference_server.http.stream("POST", "/inference/stream", json=chat_body("Talk forever.", **LONG)) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        first = next(line for line in lines if line.startswith("data:"))
        assert json.loads(first[len("data:"):])["candidates"]
        assert engine.active_requests == 1
    assert wait_until(lambda: engine.active_requests == 0, timeout=10), "the engine request kept running"


def test_server_still_answers_after_cancellations(client, engine):
    answer = client.chat(chat_body("Still there?", max_tokens=4))
    assert len(only(answer)["tokens"]) == 4


# ================================================================ batching

PROMPTS = [
    "Hi",
    "What is the capital of France?",
    "Write a haiku about autumn leaves falling on a quiet pond.",
    "List the planets.",
    "Explain recursion to a five year old, with an example about mirrors and a long digression.",
    "2+2?",
    "Translate 'good morning' into German, French, Spanish and Italian.",
    "Why is the sky blue?",
]


def test_concurrent_greedy_chats_match_their_sequential_answers(inference_server, engine, monkeypatch):
    grpc_client = client_for("grpc", inference_server)
    # Prompts of different lengths (left padding) and answers of different lengths (rows
    # that finish early), some with logprobs, plus two seeded samples.
    bodies = [chat_body(p, max_tokens=6 + 3 * i, logprobs=i % 2 == 0) for i, p in enumerate(PROMPTS)]
    bodies += [chat_body(p, max_tokens=12, temperature=1.0, seed=77 + i) for i, p in enumerate(PROMPTS[:2])]
    sequential = [only(grpc_client.chat(b)) for b in bodies]

    sizes = []
    step = engine._step
    monkeypatch.setattr(engine, "_step", lambda state: (sizes.append(len(state.rows)), step(state))[1])
    # Keep the engine busy with a long stream: the chats join its batch as they arrive
    # (their KV caches merged in) and leave it as they finish.
    stub = chat_grpc.InferenceServiceStub(inference_server.channel)
    blocker = stub.StreamChatCompletion(chat_request(chat_body("Hold the engine.", **LONG)), timeout=120)
    next(blocker)
    with ThreadPoolExecutor(len(bodies)) as pool:
        futures = [pool.submit(grpc_client.chat, b) for b in bodies]
        together = [only(f.result(timeout=120)) for f in futures]
    blocker.cancel()
    assert max(sizes) >= 3, f"the chats were not decoded together: batch sizes seen {sorted(set(sizes))}"

    for i, (alone, batched) in enumerate(zip(sequential, together, strict=True)):
        assert batched["tokens"] == alone["tokens"], f"request {i} answered differently in a batch"
        assert batched["text"] == alone["text"]
        assert batched["finish_reason"] == alone["finish_reason"]
        assert len(batched["log_probs"]) == (len(batched["tokens"]) if bodies[i]["options"].get("logprobs") else 0)
        assert batched["log_probs"] == pytest.approx(alone["log_probs"], abs=1e-3)
    # Different prompts give different answers: a mixed-up batch would show.
    assert len({tuple(a["tokens"]) for a in sequential}) == len(bodies)


def test_a_batch_drops_the_columns_no_remaining_row_attends_to():
    """Under steady traffic a batch never empties: when the row that made it wide
    leaves, the padding columns it left behind go too."""
    import torch
    from transformers.cache_utils import DynamicCache

    from server.inference.engines.transformers_engine import _Batch

    keys = torch.arange(3 * 1 * 5 * 2, dtype=torch.float).reshape(3, 1, 5, 2)
    mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 1, 1]])
    batch = _Batch(rows=["a", "b", "c"], cache=DynamicCache([(keys, keys + 100)]), mask=mask,
                   positions=torch.tensor([[3], [5], [2]]), logits=torch.eye(3))
    batch.select([0, 2])
    assert batch.rows == ["a", "c"] and batch.mask.tolist() == [[1, 1, 1], [0, 1, 1]]
    (layer,) = batch.cache.layers
    assert torch.equal(layer.keys, keys[[0, 2], :, 2:]) and torch.equal(layer.values, keys[[0, 2], :, 2:] + 100)
    assert batch.positions.tolist() == [[3], [2]] and batch.logits.tolist() == [[1, 0, 0], [0, 0, 1]]
    batch.select([1])  # every column still attended to by "c" stays
    assert batch.mask.tolist() == [[1, 1]] and batch.cache.layers[0].keys.shape[2] == 2


def test_a_failing_request_does_not_fail_the_requests_batched_with_it(inference_server, engine):
    """The service refuses bad sampling options up front, so the failing request goes to
    the engine directly: top_p 0 leaves nothing to sample from."""
    import asyncio

    from server.inference.engines.base import GenerationRequest

    prompt = engine.tokenizer("What is the capital of France?", add_special_tokens=False)["input_ids"]

    async def tokens(request):
        return [event.token_id async for event in engine.generate(request)]

    async def scenario():
        good = GenerationRequest(prompt_ids=prompt, max_tokens=8)
        alone = await tokens(good)
        blocker = engine.generate(GenerationRequest(prompt_ids=prompt, max_tokens=100000, ignore_eos=True))
        await blocker.__anext__()  # the engine is busy: the next two join its batch
        results = await asyncio.gather(tokens(good), tokens(GenerationRequest(
            prompt_ids=prompt, max_tokens=8, temperature=1.0, top_p=0.0)), return_exceptions=True)
        still_running = await blocker.__anext__()  # the batch's first member was not failed either
        await blocker.aclose()
        assert still_running.token_id >= 0
        return alone, results

    alone, (good_result, bad_result) = asyncio.run_coroutine_threadsafe(
        scenario(), inference_server.loop).result(timeout=120)
    assert isinstance(bad_result, Exception)
    assert good_result == alone


# ================================================================ models


def test_list_models_over_rest(inference_server):
    response = inference_server.http.get("/v1/models")
    assert response.status_code == 200
    models = {m["identifier"]: m for m in response.json()["data"]}
    assert set(models) == {LLM, REWARD, EMBEDDING, CROSS_ENCODER}
    assert models[LLM]["model_type"] == "llm" and models[LLM]["metadata"]["kind"] == "llm"
    assert models[REWARD]["metadata"]["kind"] == "reward"
    assert models[CROSS_ENCODER]["metadata"]["kind"] == "rerank"
    assert models[EMBEDDING]["model_type"] == "embedding" and models[EMBEDDING]["metadata"]["kind"] == "embedding"
    assert models[LLM]["provider_id"] == "transformers"
    assert all(m["type"] == "model" for m in models.values())
    one = inference_server.http.get(f"/v1/models/{LLM}")
    assert one.status_code == 200 and one.json() == models[LLM]


def test_list_and_get_models_over_grpc(inference_server):
    stub = models_pb2_grpc.ModelsServiceStub(inference_server.channel)
    models = {m.identifier: m for m in stub.ListModels(models_pb2.ListModelsRequest(), timeout=10).data}
    assert set(models) == {LLM, REWARD, EMBEDDING, CROSS_ENCODER}
    assert models[LLM].model_type == models_pb2.MODEL_TYPE_LLM
    assert models[EMBEDDING].model_type == models_pb2.MODEL_TYPE_EMBEDDING
    assert models[EMBEDDING].metadata["kind"] == "embedding"
    got = stub.GetModel(models_pb2.GetModelRequest(model_id=EMBEDDING), timeout=10)
    assert got == models[EMBEDDING]


def test_unknown_model_is_not_found(inference_server):
    response = inference_server.http.get("/v1/models/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404 and body["title"] and "nope" in body["detail"]
    stub = models_pb2_grpc.ModelsServiceStub(inference_server.channel)
    with pytest.raises(grpc.RpcError) as error:
        stub.GetModel(models_pb2.GetModelRequest(model_id="nope"), timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert "nope" in error.value.details()


def test_chat_with_unknown_model_is_not_found(client):
    with pytest.raises(ApiError) as error:
        client.chat({**chat_body("Hi", max_tokens=4), "model": "nope"})
    assert error.value.code == "NOT_FOUND"
    assert "nope" in error.value.message
    if client.protocol == "rest":
        assert error.value.http_status == 404 and error.value.body["status"] == 404


def test_chat_with_a_non_llm_model_is_invalid_argument(client):
    with pytest.raises(ApiError) as error:
        client.chat({**chat_body("Hi", max_tokens=4), "model": EMBEDDING})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("model")


# ================================================================ rerank

# (query, passages, index of the relevant passage)
RERANK_SET = [
    ("How do plants make food from sunlight?",
     ["The stock market fell sharply on Tuesday.",
      "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar.",
      "The recipe calls for two eggs and a cup of flour.",
      "Football is played by two teams of eleven players."], 1),
    ("What is the capital city of Japan?",
     ["Tokyo is the capital of Japan and its largest city.",
      "Penguins live mostly in the Southern Hemisphere.",
      "A violin has four strings.",
      "Python is a popular programming language."], 0),
    ("How many legs does a spider have?",
     ["The Eiffel Tower was completed in 1889.",
      "Coffee beans are roasted before brewing.",
      "Rainbows appear when sunlight is refracted by water droplets.",
      "Spiders are arachnids with eight legs."], 3),
    ("Which planet is known as the red planet?",
     ["Bread rises because yeast produces gas.",
      "Chess is a strategy game for two players.",
      "Mars is called the red planet because of iron oxide on its surface.",
      "The Amazon is a large rainforest in South America.",
      "Jazz originated in New Orleans."], 2),
    ("How do I reset a forgotten email password?",
     ["To recover your email account, click 'forgot password' and follow the reset link sent to you.",
      "Whales are the largest mammals on Earth.",
      "The bakery opens at seven in the morning.",
      "Mount Everest is the highest mountain above sea level."], 0),
    ("What causes ocean tides?",
     ["Guitars usually have six strings.",
      "Tides are caused mainly by the gravitational pull of the Moon on the oceans.",
      "The Roman Empire split into east and west.",
      "Sourdough needs a starter culture."], 1),
]


def _check_ranking(data: list[dict], n_items: int, expected_len: int):
    assert len(data) == expected_len
    indices = [d["index"] for d in data]
    assert len(set(indices)) == len(indices)
    assert all(0 <= i < n_items for i in indices)
    scores = [d["relevance_score"] for d in data]
    assert scores == sorted(scores, reverse=True)


def test_rerank_puts_the_relevant_passage_first(client):
    for query, passages, relevant in RERANK_SET:
        data = client.rerank(EMBEDDING, query, passages)
        _check_ranking(data, len(passages), len(passages))
        assert data[0]["index"] == relevant, (query, data)


def test_rerank_max_num_results(client):
    query, passages, relevant = RERANK_SET[3]
    everything = client.rerank(EMBEDDING, query, passages)
    top = client.rerank(EMBEDDING, query, passages, max_num_results=2)
    _check_ranking(top, len(passages), 2)
    assert [d["index"] for d in top] == [d["index"] for d in everything[:2]]
    assert top[0]["index"] == relevant
    assert len(client.rerank(EMBEDDING, query, passages, max_num_results=50)) == len(passages)
    with pytest.raises(ApiError) as error:
        client.rerank(EMBEDDING, query, passages, max_num_results=0)
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("max_num_results")


def test_rerank_accepts_text_parts(client):
    query, passages, relevant = RERANK_SET[0]
    plain = client.rerank(EMBEDDING, query, passages)
    parts = client.rerank(EMBEDDING, {"type": "text", "text": query},
                          [{"type": "text", "text": p} if i % 2 else p for i, p in enumerate(passages)])
    assert [d["index"] for d in parts] == [d["index"] for d in plain]
    assert [d["relevance_score"] for d in parts] == pytest.approx([d["relevance_score"] for d in plain], abs=1e-5)
    assert parts[0]["index"] == relevant


def test_rerank_rejects_image_items(client):
    query, passages, _ = RERANK_SET[0]
    items = [passages[0], passages[1], {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]
    with pytest.raises(ApiError) as error:
        client.rerank(EMBEDDING, query, items)
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("items[2]")


def test_rerank_with_a_cross_encoder_ranks_by_its_scores(client, tiny_cross_encoder):
    """The rerank model path: order and scores are the cross-encoder's own (computed here with
    sentence-transformers directly), and for these passages differ from the embedding order."""
    for query, passages, _ in RERANK_SET[:3]:
        order, scores = cross_encoder_ranking(tiny_cross_encoder, query, passages)
        data = client.rerank(CROSS_ENCODER, query, passages)
        _check_ranking(data, len(passages), len(passages))
        assert [d["index"] for d in data] == order, query
        assert [d["relevance_score"] for d in data] == pytest.approx(scores, abs=1e-5)
        assert order != [d["index"] for d in client.rerank(EMBEDDING, query, passages)], query
    top = client.rerank(CROSS_ENCODER, query, passages, max_num_results=2)
    assert [d["index"] for d in top] == order[:2]


@pytest.mark.parametrize("model", ["no-such-model", LLM])
def test_rerank_needs_an_embedding_or_rerank_model(client, model):
    query, passages, _ = RERANK_SET[0]
    with pytest.raises(ApiError) as error:
        client.rerank(model, query, passages)
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("model")
    assert model in error.value.message


# ================================================================ reward scoring

PAIR = [user("What is the capital of France?"), {"text": "The capital of France is Paris.", "eot": True}]


def test_reward_model_scores(client):
    result = client.score({"prompt_with_response": PAIR, "reward": REWARD})
    assert isinstance(result["score"], float)
    assert result["logprob"] < 0  # the log-probability of the response under the LLM
    assert result["id"]
    again = client.score({"prompt_with_response": PAIR, "reward": REWARD})
    assert again["score"] == pytest.approx(result["score"], abs=1e-6)
    other = client.score({"prompt_with_response": [PAIR[0], {"text": "Bananas are yellow.", "eot": True}],
                          "reward": REWARD})
    assert other["score"] != pytest.approx(result["score"], abs=1e-9)


def test_mean_logprob_scoring(client, tiny_llm):
    from transformers import AutoTokenizer

    result = client.score({"prompt_with_response": PAIR, "reward": LLM, "scoring_function": {"name": "mean_logprob"}})
    tokens = AutoTokenizer.from_pretrained(tiny_llm)(PAIR[1]["text"], add_special_tokens=False)["input_ids"]
    assert len(tokens) > 1
    assert result["logprob"] < 0
    assert result["score"] == pytest.approx(result["logprob"] / len(tokens), rel=1e-5)
    again = client.score({"prompt_with_response": PAIR, "reward": LLM, "scoring_function": {"name": "mean_logprob"}})
    assert again["score"] == pytest.approx(result["score"], abs=1e-6)
    assert again["logprob"] == pytest.approx(result["logprob"], abs=1e-5)


def test_logprob_scoring_runs_on_the_batching_worker_between_steps(client, inference_server, engine):
    """Scoring while a stream decodes: the model is only ever run by the engine's worker
    (never a second thread beside it), and the score is the one it gives when idle."""
    import threading

    body = {"prompt_with_response": PAIR, "reward": LLM, "scoring_function": {"name": "mean_logprob"}}
    idle = client.score(body)
    threads = set()
    hook = engine.model.register_forward_pre_hook(lambda module, args: threads.add(threading.current_thread().name))
    stub = chat_grpc.InferenceServiceStub(inference_server.channel)
    blocker = stub.StreamChatCompletion(chat_request(chat_body("Hold the engine.", **LONG)),
                                        timeout=120)
    try:
        next(blocker)
        busy = client.score(body)
        assert next(blocker) is not None  # the stream went on after the scoring
    finally:
        blocker.cancel()
        hook.remove()
    assert threads == {"transformers-engine"}
    assert busy["score"] == pytest.approx(idle["score"], abs=1e-5)


def test_reward_and_logprob_agree_across_protocols(inference_server):
    rest, grpc_client = client_for("rest", inference_server), client_for("grpc", inference_server)
    body = {"prompt_with_response": PAIR, "reward": REWARD}
    a, b = rest.score(body), grpc_client.score(body)
    assert a["score"] == pytest.approx(b["score"], abs=1e-6)
    assert a["logprob"] == pytest.approx(b["logprob"], abs=1e-5)


def test_unknown_scoring_function_is_invalid_argument(client):
    with pytest.raises(ApiError) as error:
        client.score({"prompt_with_response": PAIR, "reward": LLM, "scoring_function": {"name": "vibes"}})
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("scoring_function.name")


def test_scoring_an_empty_response_is_invalid_argument(client):
    with pytest.raises(ApiError) as error:
        client.score({"prompt_with_response": [PAIR[0], {"text": "", "eot": True}], "reward": LLM,
                      "scoring_function": {"name": "mean_logprob"}})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("prompt_with_response")


@pytest.mark.parametrize("messages", [
    [user("What is the capital of France?")],
    [user("What is the capital of France?"), {"text": "Paris.", "eot": True}, user("Are you sure?")],
], ids=["prompt-only", "ends-with-user"])
def test_prompt_with_response_must_end_with_the_response(client, messages):
    with pytest.raises(ApiError) as error:
        client.score({"prompt_with_response": messages, "reward": REWARD})
    assert error.value.code == "INVALID_ARGUMENT"
    assert error.value.names("prompt_with_response")
