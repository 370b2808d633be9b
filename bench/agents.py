"""Agents benchmark: N concurrent streamed turns over gRPC and over SSE against the same
number of chats on the inference service alone, measured side by side in one run.

    .venv/bin/python bench/agents.py [--turns 16] [--tokens 32] [--rounds 5] [--model PATH]

The three arms (service alone, turns over gRPC, turns over SSE) run interleaved for
--rounds rounds (bench/_rounds.py). Prints turns/s (chats/s for the service alone), the
time to the first event of a turn (turn_start) and to its first token (the first
step_progress, or step_complete for an empty answer): medians with their spread
[lowest-highest], and the ratios of the agent paths to the inference service alone.

Wall-clock figures need a quiet machine; the CPU figures hold under load: the server's CPU
time per turn (per chat for the service alone): the whole process's, less the threads of
the benchmark's clients, and of that the event loop's (the thread that runs the service).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import httpx  # noqa: E402
from _rounds import figure, interleaved, ratio  # noqa: E402
from _server import HEADERS, METADATA, security_settings  # noqa: E402

from llamastack.agents.v1alpha import agents_pb2, agents_pb2_grpc  # noqa: E402
from llamastack_grpc.jsonmap import from_json  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.chat import ChatDelta, ChatRequest  # noqa: E402
from server.inference.models import ModelRegistry  # noqa: E402
from server.inference.service import InferenceService  # noqa: E402
from server.inference.specs import ModelSpec  # noqa: E402

INSTRUCTIONS = "You are a helpful assistant."
# The first token shows as the first text delta, or, for an answer that is empty (the
# model ended its turn at once), as the inference step's completion.
_FIRST_TOKEN_EVENTS = ("step_progress", "step_complete")


def prompt(i: int) -> str:
    return f"Request {i}: describe item {i} of the catalogue."


_CLIENT = "bench-client"  # the client threads' name prefix


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """Each live thread's CPU time: ident -> (name, seconds)."""
    clocks = {}
    for thread in threading.enumerate():
        with contextlib.suppress(OSError, TypeError):  # it ended meanwhile
            clocks[thread.ident] = (thread.name, time.clock_gettime(time.pthread_getcpuclockid(thread.ident)))
    return clocks


def cpu_now() -> tuple[float, dict[int, tuple[str, float]]]:
    return time.process_time(), _thread_cpu()


def server_cpu(before, after, loop: threading.Thread) -> tuple[float, float]:
    """(the server's CPU seconds, its event loop's) between two cpu_now() readings (the
    second taken while the client threads are alive): the process's, less the client
    threads' (the bench's own, and the gRPC client's channel thread)."""
    def spent(ident):
        return after[1][ident][1] - before[1].get(ident, ("", 0.0))[1]

    client = sum(spent(i) for i, (name, _) in after[1].items() if name.startswith(_CLIENT) or "channel_spin" in name)
    return after[0] - before[0] - client, spent(loop.ident)


def service_alone(service: InferenceService, model_id: str, turns: int, tokens: int) -> dict[str, float]:
    async def one(i):
        request = ChatRequest(model_id=model_id, max_tokens=tokens, messages=[
            {"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt(i)}])
        start, first = time.perf_counter(), None
        async for item in service.chat_stream(request):
            if first is None and isinstance(item, ChatDelta):
                first = time.perf_counter() - start
        return first

    async def run():
        start, cpu = time.perf_counter(), cpu_now()
        firsts = await asyncio.gather(*[one(i) for i in range(turns)])
        elapsed = time.perf_counter() - start
        server, loop = server_cpu(cpu, cpu_now(), threading.current_thread())
        return {"rate": turns / elapsed, "first_token": statistics.median(firsts), "cpu": server / turns,
                "loop_cpu": loop / turns}

    return asyncio.run(run())


def agent_and_sessions(server: EmbeddedServer, tokens: int, count: int) -> tuple[str, list[str]]:
    agent = server.http.post("/v1alpha/agents", json={"agent_config": {
        "model": "bench-llm", "instructions": INSTRUCTIONS,
        "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": tokens}}}).json()["agent_id"]
    sessions = [server.http.post(f"/v1alpha/agents/{agent}/session", json={"session_name": f"s{i}"}).json()
                ["session_id"] for i in range(count)]
    return agent, sessions


def grpc_turns(server: EmbeddedServer, agent: str, sessions: list[str]) -> dict[str, float]:
    stub = agents_pb2_grpc.AgentsServiceStub(server.channel)

    def one(i):
        request = from_json({"agent_id": agent, "session_id": sessions[i], "messages": [
            {"role": "user", "content": prompt(i)}], "stream": True}, agents_pb2.CreateAgentTurnRequest)
        start, first_event, first_token = time.perf_counter(), None, None
        for chunk in stub.CreateAgentTurn(request, metadata=METADATA, timeout=600):
            now = time.perf_counter() - start
            first_event = first_event if first_event is not None else now
            if first_token is None and chunk.event.payload.WhichOneof("payload") in _FIRST_TOKEN_EVENTS:
                first_token = now
        return first_event, first_token

    return _concurrently(server, one, len(sessions))


def sse_turns(server: EmbeddedServer, agent: str, sessions: list[str]) -> dict[str, float]:
    client = httpx.Client(base_url=server.base_url, timeout=600, headers=HEADERS,
                          limits=httpx.Limits(max_connections=len(sessions)))

    def one(i):
        body = {"messages": [{"role": "user", "content": prompt(i)}], "stream": True}
        start, first_event, first_token = time.perf_counter(), None, None
        with client.stream("POST", f"/v1alpha/agents/{agent}/session/{sessions[i]}/turn", json=body) as response:
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                now = time.perf_counter() - start
                first_event = first_event if first_event is not None else now
                event_type = json.loads(line[6:])["event"]["payload"]["event_type"]
                if first_token is None and event_type in _FIRST_TOKEN_EVENTS:
                    first_token = now
        return first_event, first_token

    try:
        return _concurrently(server, one, len(sessions))
    finally:
        client.close()


def _concurrently(server: EmbeddedServer, one, count: int) -> dict[str, float]:
    with ThreadPoolExecutor(count, thread_name_prefix=_CLIENT) as pool:
        start, cpu = time.perf_counter(), cpu_now()
        results = list(pool.map(one, range(count)))
        elapsed = time.perf_counter() - start
        spent, loop = server_cpu(cpu, cpu_now(), server.thread)
    return {"rate": count / elapsed, "first_event": statistics.median(r[0] for r in results),
            "first_token": statistics.median(r[1] for r in results), "cpu": spent / count, "loop_cpu": loop / count}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama")
    parser.add_argument("--turns", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id="bench-llm", checkpoint=str(checkpoint), max_batch=args.turns)
    print(f"model {checkpoint}, {args.turns} concurrent turns of {args.tokens} tokens, "
          f"{args.rounds} interleaved rounds")

    registry = ModelRegistry([spec])  # the inference service alone, in this process
    registry.load_all()
    service = InferenceService(registry)
    with tempfile.TemporaryDirectory() as data_dir:
        # As production runs it: tracing (the default) and API keys on; no access log.
        server = EmbeddedServer(ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir), default_models=False,
                                             models=[spec.__dict__], security=security_settings(), access_log=False))
        server.http.headers.update(HEADERS)

        def turns(path):  # each round's turns open new sessions: every turn is a session's first
            def arm():
                agent, sessions = agent_and_sessions(server, args.tokens, args.turns)
                return path(server, agent, sessions)
            return arm

        def alone():
            return service_alone(service, spec.id, args.turns, args.tokens)

        try:
            service_alone(service, spec.id, 1, args.tokens)  # warm-up
            agent, warm = agent_and_sessions(server, args.tokens, 1)
            grpc_turns(server, agent, warm)
            results = interleaved({"alone": alone, "grpc": turns(grpc_turns), "sse": turns(sse_turns)}, args.rounds)
        finally:
            server.stop()
            registry.close()

    base = results["alone"]
    print(f"inference service alone: {figure(base['rate'], digits=2)} chats/s, first token "
          f"{figure(base['first_token'], 1000)} ms; server CPU {figure(base['cpu'], 1000)} ms per chat, "
          f"event loop {figure(base['loop_cpu'], 1000, digits=2)} ms")
    for name, label in (("grpc", "gRPC"), ("sse", "SSE")):
        r = results[name]
        print(f"agent turns over {label}: {figure(r['rate'], digits=2)} turns/s"
              f" (ratio {ratio(r['rate'], base['rate'])}),"
              f" first event {figure(r['first_event'], 1000)} ms, first token {figure(r['first_token'], 1000)} ms"
              f" (ratio {ratio(r['first_token'], base['first_token'])});"
              f" server CPU {figure(r['cpu'], 1000)} ms per turn (ratio {ratio(r['cpu'], base['cpu'])}),"
              f" event loop {figure(r['loop_cpu'], 1000, digits=2)} ms")


if __name__ == "__main__":
    main()
