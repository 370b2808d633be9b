"""Agents benchmark: N concurrent streamed turns over gRPC and over SSE against the same
number of chats on the inference service alone, measured side by side in one run.

    .venv/bin/python bench/agents.py [--turns 16] [--tokens 32] [--model PATH]

Prints turns/s (chats/s for the service alone), the time to the first event of a turn
(turn_start) and to its first token (the first step_progress, or step_complete for an
empty answer), with the ratios of the agent paths to the inference service alone.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import httpx  # noqa: E402
from llamastack.agents.v1alpha import agents_pb2, agents_pb2_grpc  # noqa: E402
from llamastack_grpc.jsonmap import from_json  # noqa: E402

from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.chat import ChatDelta, ChatRequest  # noqa: E402
from server.inference.models import ModelRegistry  # noqa: E402
from server.inference.specs import ModelSpec  # noqa: E402
from server.inference.service import InferenceService  # noqa: E402

INSTRUCTIONS = "You are a helpful assistant."
# The first token shows as the first text delta, or, for an answer that is empty (the
# model ended its turn at once), as the inference step's completion.
_FIRST_TOKEN_EVENTS = ("step_progress", "step_complete")


def prompt(i: int) -> str:
    return f"Request {i}: describe item {i} of the catalogue."


def service_alone(spec: ModelSpec, turns: int, tokens: int) -> tuple[float, float]:
    registry = ModelRegistry([spec])
    registry.load_all()
    service = InferenceService(registry)

    async def one(i):
        request = ChatRequest(model_id=spec.id, max_tokens=tokens, messages=[
            {"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt(i)}])
        start, first = time.perf_counter(), None
        async for item in service.chat_stream(request):
            if first is None and isinstance(item, ChatDelta):
                first = time.perf_counter() - start
        return first

    async def run():
        await one(0)  # warm-up
        start = time.perf_counter()
        firsts = await asyncio.gather(*[one(i) for i in range(turns)])
        return turns / (time.perf_counter() - start), statistics.median(firsts)

    try:
        return asyncio.run(run())
    finally:
        registry.close()


def agent_and_sessions(server: EmbeddedServer, tokens: int, count: int) -> tuple[str, list[str]]:
    agent = server.http.post("/v1alpha/agents", json={"agent_config": {
        "model": "bench-llm", "instructions": INSTRUCTIONS,
        "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": tokens}}}).json()["agent_id"]
    sessions = [server.http.post(f"/v1alpha/agents/{agent}/session", json={"session_name": f"s{i}"}).json()
                ["session_id"] for i in range(count)]
    return agent, sessions


def grpc_turns(server: EmbeddedServer, agent: str, sessions: list[str]) -> tuple[float, float, float]:
    stub = agents_pb2_grpc.AgentsServiceStub(server.channel)

    def one(i):
        request = from_json({"agent_id": agent, "session_id": sessions[i], "messages": [
            {"role": "user", "content": prompt(i)}], "stream": True}, agents_pb2.CreateAgentTurnRequest)
        start, first_event, first_token = time.perf_counter(), None, None
        for chunk in stub.CreateAgentTurn(request, timeout=600):
            now = time.perf_counter() - start
            first_event = first_event if first_event is not None else now
            if first_token is None and chunk.event.payload.WhichOneof("payload") in _FIRST_TOKEN_EVENTS:
                first_token = now
        return first_event, first_token

    return _concurrently(one, len(sessions))


def sse_turns(server: EmbeddedServer, agent: str, sessions: list[str]) -> tuple[float, float, float]:
    client = httpx.Client(base_url=server.base_url, timeout=600, limits=httpx.Limits(max_connections=len(sessions)))

    def one(i):
        body = {"messages": [{"role": "user", "content": prompt(i)}], "stream": True}
        start, first_event, first_token = time.perf_counter(), None, None
        with client.stream("POST", f"/v1alpha/agents/{agent}/session/{sessions[i]}/turn", json=body) as response:
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                now = time.perf_counter() - start
                first_event = first_event if first_event is not None else now
                if first_token is None and json.loads(line[6:])["event"]["payload"]["event_type"] in _FIRST_TOKEN_EVENTS:
                    first_token = now
        return first_event, first_token

    try:
        return _concurrently(one, len(sessions))
    finally:
        client.close()


def _concurrently(one, count: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - start
    return (count / elapsed, statistics.median(r[0] for r in results), statistics.median(r[1] for r in results))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama")
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    args = parser.parse_args()
    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id="bench-llm", checkpoint=str(checkpoint), max_batch=args.turns)
    print(f"model {checkpoint}, {args.turns} concurrent turns of {args.tokens} tokens")

    alone_rate, alone_first = service_alone(spec, args.turns, args.tokens)
    with tempfile.TemporaryDirectory() as data_dir:
        server = EmbeddedServer(ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir),
                                             default_models=False, models=[spec.__dict__]))
        try:
            agent, warm = agent_and_sessions(server, args.tokens, 1)
            grpc_turns(server, agent, warm)  # warm-up
            agent, sessions = agent_and_sessions(server, args.tokens, args.turns)
            grpc_rate, grpc_event, grpc_token = grpc_turns(server, agent, sessions)
            agent, sessions = agent_and_sessions(server, args.tokens, args.turns)
            sse_rate, sse_event, sse_token = sse_turns(server, agent, sessions)
        finally:
            server.stop()

    print(f"inference service alone: {alone_rate:6.2f} chats/s, first token {alone_first * 1000:7.1f} ms")
    print(f"agent turns over gRPC:   {grpc_rate:6.2f} turns/s (ratio {grpc_rate / alone_rate:.2f}), first event "
          f"{grpc_event * 1000:7.1f} ms, first token {grpc_token * 1000:7.1f} ms (ratio {grpc_token / alone_first:.2f})")
    print(f"agent turns over SSE:    {sse_rate:6.2f} turns/s (ratio {sse_rate / alone_rate:.2f}), first event "
          f"{sse_event * 1000:7.1f} ms, first token {sse_token * 1000:7.1f} ms (ratio {sse_token / alone_first:.2f})")


if __name__ == "__main__":
    main()
