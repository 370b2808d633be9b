"""Agents benchmark: N concurrent streamed agent turns against the same number of streamed
chats, over gRPC and over SSE, measured side by side in one run.

    .venv/bin/python bench/agents.py [--turns 16] [--tokens 32] [--rounds 6] [--model PATH]

The server runs in its own process (bench/_server.py: tracing and API keys on, no access
log), so the benchmark's clients never share its interpreter, and its CPU time is its own.
Five arms run interleaved for --rounds rounds, in an order reversed every other round
(bench/_rounds.py):
- the inference service alone, in this process (no server, no transport): the engine's figure;
- streamed chats over gRPC (StreamChatCompletion) and over SSE (POST /inference/stream);
- streamed agent turns over gRPC (CreateAgentTurn) and over SSE (POST .../turn).
A turn's chat is the agent's instructions (a system message) and the user's message; the
draft's chat has no system role, so its chats carry the instructions at the head of the
user's message (the same words, a few template tokens fewer).

Prints turns/s (chats/s), the time to the first event and to the first token (the first
text delta, or the inference step's completion for an empty answer): medians with their
spread [lowest-highest]; the server's CPU time per turn (per chat); and the ratios of the
turns to the chats over the same protocol (what an agent turn adds) and to the service
alone (what the server, its transport and the agent add together).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

import grpc  # noqa: E402
import httpx  # noqa: E402

from bench._rounds import figure, interleaved, ratio  # noqa: E402
from bench._server import HEADERS, METADATA, Server  # noqa: E402
from llamastack.agents.v1alpha import agents_pb2, agents_pb2_grpc  # noqa: E402
from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.inference.v0 import inference_pb2, inference_pb2_grpc  # noqa: E402
from llamastack_grpc.jsonmap import from_json  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.chat import ChatDelta, ChatRequest  # noqa: E402
from server.inference.models import ModelRegistry  # noqa: E402
from server.inference.service import InferenceService  # noqa: E402
from server.inference.specs import ModelSpec  # noqa: E402

MODEL = "bench-llm"
INSTRUCTIONS = "You are a helpful assistant."
# A turn's first token shows as its first text delta or, for an empty answer (the model
# ended its turn at once), as the inference step's completion.
_FIRST_TOKEN_EVENTS = ("step_progress", "step_complete")


def prompt(i: int) -> str:
    return f"Request {i}: describe item {i} of the catalogue."


def chat_text(i: int) -> str:
    return f"{INSTRUCTIONS}\n\n{prompt(i)}"


async def _first_times(start: float, messages, first_token) -> tuple[float, float]:
    """Seconds from start to the stream's first message, and to the first that first_token
    accepts; the stream is read to its end."""
    first_event = token = None
    async for message in messages:
        now = time.perf_counter() - start
        first_event = first_event if first_event is not None else now
        if token is None and first_token(message):
            token = now
    return first_event, token


async def _timed(streams) -> dict[str, float]:
    """Run the streams (coroutines returning (first event, first token) seconds) together."""
    start = time.perf_counter()
    results = await asyncio.gather(*streams)
    return {"rate": len(results) / (time.perf_counter() - start),
            "first_event": statistics.median(r[0] for r in results),
            "first_token": statistics.median(r[1] for r in results)}


# ---------------------------------------------------------------- the service alone


def service_alone(service: InferenceService, turns: int, tokens: int) -> dict[str, float]:
    async def one(i):
        request = ChatRequest(model_id=MODEL, max_tokens=tokens, messages=[
            {"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt(i)}])
        start, first = time.perf_counter(), None
        async for item in service.chat_stream(request):
            if first is None and isinstance(item, ChatDelta):
                first = time.perf_counter() - start
        return first, first

    return asyncio.run(_timed(one(i) for i in range(turns)))


# ---------------------------------------------------------------- through the server


class Arms:
    """The server-side arms; each call opens its own connections (one per stream over
    HTTP) and every turn its own session, so that each turn is its session's first."""

    def __init__(self, server: Server, turns: int, tokens: int):
        self.server, self.turns, self.tokens = server, turns, tokens
        self.http = httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=600)
        self.agent = self.http.post("/v1alpha/agents", json={"agent_config": {
            "model": MODEL, "instructions": INSTRUCTIONS,
            "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": tokens}}}).raise_for_status() \
            .json()["agent_id"]

    def sessions(self) -> list[str]:
        return [self.http.post(f"/v1alpha/agents/{self.agent}/session", json={"session_name": f"s{i}"})
                .raise_for_status().json()["session_id"] for i in range(self.turns)]

    def measured(self, run) -> dict[str, float]:
        """run(): the arm's coroutine; adds the server's CPU seconds per stream."""
        before = self.server.cpu_seconds()
        result = asyncio.run(run)
        result["cpu"] = (self.server.cpu_seconds() - before) / self.turns
        return result

    # gRPC

    async def _grpc(self, open_stream, first_token) -> dict[str, float]:
        async with grpc.aio.insecure_channel(self.server.target) as channel:
            async def one(i):
                return await _first_times(time.perf_counter(), open_stream(channel, i), first_token)
            return await _timed(one(i) for i in range(self.turns))

    def grpc_chats(self) -> dict[str, float]:
        def open_stream(channel, i):
            request = inference_pb2.ChatCompletionRequest(model=MODEL, messages=[v0.Message(
                input=v0.ModelInputMessage(role=v0.MODEL_INPUT_MESSAGE_ROLE_USER, text=chat_text(i)))],
                options=v0.Options(max_tokens=self.tokens, temperature=0.0))
            return inference_pb2_grpc.InferenceServiceStub(channel).StreamChatCompletion(
                request, metadata=METADATA, timeout=600)
        return self.measured(self._grpc(open_stream, lambda message: True))

    def grpc_turns(self) -> dict[str, float]:
        sessions = self.sessions()

        def open_stream(channel, i):
            request = from_json({"agent_id": self.agent, "session_id": sessions[i], "stream": True,
                                 "messages": [{"role": "user", "content": prompt(i)}]},
                                agents_pb2.CreateAgentTurnRequest)
            return agents_pb2_grpc.AgentsServiceStub(channel).CreateAgentTurn(request, metadata=METADATA, timeout=600)
        return self.measured(self._grpc(
            open_stream, lambda chunk: chunk.event.payload.WhichOneof("payload") in _FIRST_TOKEN_EVENTS))

    # SSE

    async def _sse(self, path, body, first_token) -> dict[str, float]:
        async with httpx.AsyncClient(base_url=self.server.base_url, headers=HEADERS, timeout=600,
                                     limits=httpx.Limits(max_connections=self.turns)) as http:
            async def one(i):
                start = time.perf_counter()
                async with http.stream("POST", path(i), json=body(i)) as response:
                    response.raise_for_status()
                    events = (line async for line in response.aiter_lines() if line.startswith("data:"))
                    return await _first_times(start, events, first_token)
            return await _timed(one(i) for i in range(self.turns))

    def sse_chats(self) -> dict[str, float]:
        def body(i):
            return {"model": MODEL, "messages": [{"role": "user", "text": chat_text(i)}],
                    "options": {"max_tokens": self.tokens, "temperature": 0.0}}
        return self.measured(self._sse(lambda i: "/inference/stream", body, lambda line: True))

    def sse_turns(self) -> dict[str, float]:
        sessions = self.sessions()

        def first_token(line):
            return json.loads(line[5:])["event"]["payload"]["event_type"] in _FIRST_TOKEN_EVENTS
        return self.measured(self._sse(
            lambda i: f"/v1alpha/agents/{self.agent}/session/{sessions[i]}/turn",
            lambda i: {"messages": [{"role": "user", "content": prompt(i)}], "stream": True}, first_token))

    def close(self):
        self.http.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama")
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id=MODEL, checkpoint=str(checkpoint), max_batch=args.turns)
    print(f"model {checkpoint}, {args.turns} concurrent turns of {args.tokens} tokens, "
          f"{args.rounds} interleaved rounds")

    registry = ModelRegistry([spec])  # the inference service alone, in this process
    registry.load_all()
    service = InferenceService(registry)
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Path(data_dir), models=[spec.__dict__], default_models=False, access_log=False)
        arms = Arms(server, args.turns, args.tokens)
        try:
            service_alone(service, 1, args.tokens)  # warm-up: both models, both protocols
            for warm in (arms.grpc_chats, arms.grpc_turns, arms.sse_chats, arms.sse_turns):
                warm()
            results = interleaved({"alone": lambda: service_alone(service, args.turns, args.tokens),
                                   "grpc chats": arms.grpc_chats, "grpc turns": arms.grpc_turns,
                                   "sse chats": arms.sse_chats, "sse turns": arms.sse_turns}, args.rounds)
        finally:
            arms.close()
            server.stop()
            registry.close()

    alone = results["alone"]
    print(f"inference service alone (in process): {figure(alone['rate'], digits=2)} chats/s, "
          f"first token {figure(alone['first_token'], 1000)} ms")
    for protocol in ("grpc", "sse"):
        chats, turns = results[f"{protocol} chats"], results[f"{protocol} turns"]
        label = "gRPC" if protocol == "grpc" else "SSE"
        print(f"{label}: chats {figure(chats['rate'], digits=2)}/s, first token"
              f" {figure(chats['first_token'], 1000)} ms, server CPU {figure(chats['cpu'], 1000)} ms per chat")
        print(f"{label}: turns {figure(turns['rate'], digits=2)}/s, first event"
              f" {figure(turns['first_event'], 1000)} ms, first token {figure(turns['first_token'], 1000)} ms,"
              f" server CPU {figure(turns['cpu'], 1000)} ms per turn")
        print(f"{label}: turns over chats: turns/s {ratio(turns['rate'], chats['rate'])}, first token"
              f" {ratio(turns['first_token'], chats['first_token'])}x, CPU {ratio(turns['cpu'], chats['cpu'])}x;"
              f" over the service alone: turns/s {ratio(turns['rate'], alone['rate'])}, first token"
              f" {ratio(turns['first_token'], alone['first_token'])}x")


if __name__ == "__main__":
    main()
