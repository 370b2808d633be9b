"""Telemetry benchmark, in one run:

1. the cost of tracing: two servers (the real CLI, each its own process), one with
   tracing on (every span stored) and one with it off, measured in alternating rounds on
   a unary datasets GET (REST and gRPC) and a streamed chat (REST, SSE);
2. query latency with 100k spans stored: query traces (no filter, a selective filter, a
   broad one), get trace, span tree, query spans, over gRPC.

    .venv/bin/python bench/telemetry.py [--seconds 4] [--rounds 3] [--spans 100000]

Prints requests/s for each side and the on/off ratio (median of the rounds), the server
process's CPU time per request on each side and the off/on ratio of those (what the
throughput ratio is where the server's core is the bottleneck, and steadier when other
programs share the machine), the query latencies (median and p95 in ms) and the store's
size per span.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
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
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from bench._http import Connection, request_bytes  # noqa: E402
from bench._server import Server  # noqa: E402
from llamastack.datasets.v1beta import datasets_pb2  # noqa: E402
from llamastack.telemetry.v1alpha import telemetry_pb2 as pb  # noqa: E402
from llamastack.telemetry.v1alpha import telemetry_pb2_grpc  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.storage import LmdbStore  # noqa: E402
from server.telemetry.exporter import StoreSpanExporter  # noqa: E402
from server.telemetry.spans import SpanStore  # noqa: E402
from server.telemetry.writer import map_size, store_batch  # noqa: E402

MODELS = ["alpha-7b", "beta-13b", "gamma-70b"]
EXPORT_WAIT_S = 1.5  # the servers' batch span processor writes at least every second
CHAT = {"model": "tiny-llama", "messages": [{"role": "user", "text": "Tell me about the weather."}],
        "options": {"max_tokens": 32}}


# ---------------------------------------------------------------- load


async def _for(seconds: float, clients: int, one) -> float:
    """Requests per second of `clients` loops calling one() for `seconds`."""
    done = 0
    stop = time.perf_counter() + seconds

    async def loop():
        nonlocal done
        while time.perf_counter() < stop:
            await one()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    return done / (time.perf_counter() - start)


async def rest_get(server: Server, seconds: float, clients: int) -> float:
    """Through bench/_http.py's lean client, one connection per client loop (httpx would
    cost the clients more than the server and so hide the server's cost)."""
    request = request_bytes("GET", "/v1beta/datasets/bench", {})
    connections = [Connection(server.base_url) for _ in range(clients)]
    free = list(connections)

    async def one():
        connection = free.pop()
        try:
            status, body = await connection.send(request)
        finally:
            free.append(connection)
        if status != 200:
            raise RuntimeError(f"GET dataset: HTTP {status}: {body[:200]!r}")
    try:
        return await _for(seconds, clients, one)
    finally:
        for connection in connections:
            await connection.close()


async def grpc_get(server: Server, seconds: float, clients: int) -> float:
    async with grpc.aio.insecure_channel(server.target) as channel:
        call = channel.unary_unary("/llamastack.datasets.v1beta.DatasetsService/GetDataset",
                                   request_serializer=datasets_pb2.GetDatasetRequest.SerializeToString,
                                   response_deserializer=datasets_pb2.Dataset.FromString)
        request = datasets_pb2.GetDatasetRequest(dataset_id="bench")

        async def one():
            await call(request, timeout=30)
        return await _for(seconds, clients, one)


async def rest_stream_chat(server: Server, seconds: float, clients: int) -> float:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120,
                                 limits=httpx.Limits(max_connections=clients)) as http:
        async def one():
            async with http.stream("POST", "/inference/stream", json=CHAT) as response:
                response.raise_for_status()
                async for _ in response.aiter_lines():
                    pass
        return await _for(seconds, clients, one)


def compare(name: str, on: Server, off: Server, work, rounds: int, seconds: float, clients: int) -> None:
    """Alternating rounds, in the order on, off, off, on, on, off... so that both sides see
    the same machine and neither is always first. A round's CPU time is read once the
    batch span processor has handed its spans to the span writer."""
    rates, costs = {"on": [], "off": []}, {"on": [], "off": []}
    asyncio.run(work(on, 1.0, clients))  # warm both (connections, caches, the model)
    asyncio.run(work(off, 1.0, clients))
    for round_ in range(rounds):
        for side, server in (("on", on), ("off", off))[::1 if round_ % 2 == 0 else -1]:
            before, started = server.cpu_seconds(), time.perf_counter()
            rate = asyncio.run(work(server, seconds, clients))
            done = rate * (time.perf_counter() - started)
            time.sleep(EXPORT_WAIT_S)
            rates[side].append(rate)
            costs[side].append((server.cpu_seconds() - before) / done)
    throughput = statistics.median(a / b for a, b in zip(rates["on"], rates["off"], strict=True))
    cpu = statistics.median(b / a for a, b in zip(costs["on"], costs["off"], strict=True))
    print(f"{name:34s} on {statistics.median(rates['on']):7.1f}/s  off {statistics.median(rates['off']):7.1f}/s  "
          f"on/off {throughput:.3f}   CPU/request on {statistics.median(costs['on']) * 1e6:6.0f} us  "
          f"off {statistics.median(costs['off']) * 1e6:6.0f} us  off/on {cpu:.3f}")


# ---------------------------------------------------------------- 100k spans


def fill(data_dir: Path, spans: int) -> float:
    """About `spans` spans in traces shaped like agent turns, written through the real
    exporter; returns the store's bytes per span."""
    store = LmdbStore(data_dir / "telemetry", map_size=map_size(1_000_000))  # the server's default retention
    span_store = SpanStore(store, max_age_s=7 * 86400, max_spans=1_000_000)
    provider = TracerProvider(shutdown_on_exit=False)
    exporter = StoreSpanExporter(lambda items: store_batch(span_store, items))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=65536,
                                                   max_export_batch_size=2048, schedule_delay_millis=200))
    tracer = provider.get_tracer("bench")
    rng = random.Random(7)
    for trace in range(spans // 8):
        session = f"session-{rng.randrange(2000)}"
        model = rng.choice(MODELS)
        with tracer.start_as_current_span("llamastack.agents.v1alpha.AgentsService/CreateAgentTurn", attributes={
                "rpc.system": "grpc", "rpc.service": "llamastack.agents.v1alpha.AgentsService",
                "rpc.method": "CreateAgentTurn", "rpc.grpc.status_code": 0}), \
                tracer.start_as_current_span("agent.turn", attributes={"session_id": session, "turn_id": f"t{trace}"}):
            for step in range(3):
                with tracer.start_as_current_span("agent.step", attributes={"step_type": "inference", "step": step}), \
                        tracer.start_as_current_span("inference.chat", attributes={
                            "model_id": model, "prompt_tokens": rng.randrange(10, 2000),
                            "completion_tokens": rng.randrange(1, 500)}):
                    pass
        if trace % 2000 == 1999:
            provider.force_flush()  # keep the queue within bounds
    provider.shutdown()
    count = span_store.count()
    store.close()
    size = sum(f.stat().st_size for f in (data_dir / "telemetry").iterdir())
    return size / count


def latencies(stub, repeats: int) -> dict[str, list[float]]:
    newest = stub.QueryTraces(pb.QueryTracesRequest(limit=10)).data
    root = newest[0].root_span_id
    cases = {
        "query traces, no filter (100)": lambda: stub.QueryTraces(pb.QueryTracesRequest()),
        "query traces, session_id eq": lambda: stub.QueryTraces(pb.QueryTracesRequest(attribute_filters=[
            _condition("session_id", pb.QUERY_CONDITION_OP_EQ, "session-17")])),
        "query traces, model_id eq (1/3)": lambda: stub.QueryTraces(pb.QueryTracesRequest(attribute_filters=[
            _condition("model_id", pb.QUERY_CONDITION_OP_EQ, "beta-13b")])),
        "query traces, prompt_tokens gt": lambda: stub.QueryTraces(pb.QueryTracesRequest(attribute_filters=[
            _condition("prompt_tokens", pb.QUERY_CONDITION_OP_GT, 1990)])),
        "get trace": lambda: stub.GetTrace(pb.GetTraceRequest(trace_id=newest[1].trace_id)),
        "span tree (8 spans)": lambda: stub.GetSpanTree(pb.GetSpanTreeRequest(span_id=root)),
        "query spans, session_id eq": lambda: stub.QuerySpans(pb.QuerySpansRequest(attribute_filters=[
            _condition("session_id", pb.QUERY_CONDITION_OP_EQ, "session-17")])),
    }
    out = {}
    for name, run in cases.items():
        run()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        out[name] = times
    return out


def _condition(key, op, value) -> pb.QueryCondition:
    condition = pb.QueryCondition(key=key, op=op)
    if isinstance(value, str):
        condition.value.string_value = value
    else:
        condition.value.number_value = value
    return condition


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each measured round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--chat-clients", type=int, default=8)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    model = demo_model.build(ROOT / ".build" / "test-models" / "tiny-llama")
    models = [{"id": "tiny-llama", "checkpoint": str(model)}]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # No API keys: tracing's cost against the bare request path, as issue 15 measured it.
        on = Server(tmp / "on", api_keys=False, models=models, default_models=False)
        off = Server(tmp / "off", api_keys=False, models=models, default_models=False, tracing=False)
        try:
            for server in (on, off):
                httpx.post(f"{server.base_url}/v1beta/datasets", json={
                    "dataset_id": "bench", "purpose": "eval/question-answer",
                    "source": {"type": "rows", "rows": [{"q": "a", "a": "b"}]}}).raise_for_status()
            print(f"tracing on vs off, {args.rounds} alternating rounds of {args.seconds:.0f}s each "
                  f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
            compare(f"GET dataset, REST ({args.clients} clients)", on, off, rest_get, args.rounds, args.seconds,
                    args.clients)
            compare(f"GetDataset, gRPC ({args.clients} clients)", on, off, grpc_get, args.rounds, args.seconds,
                    args.clients)
            compare(f"streamed chat, SSE ({args.chat_clients} clients)", on, off, rest_stream_chat, args.rounds,
                    args.seconds, args.chat_clients)
            with grpc.insecure_channel(on.target) as channel:
                stub = telemetry_pb2_grpc.TelemetryServiceStub(channel)
                traces = stub.QueryTraces(pb.QueryTracesRequest(limit=10000))
            print(f"traces the traced server stored meanwhile: {len(traces.data)} (at most 10000 counted)")
        finally:
            on.stop()
            off.stop()

        if not args.spans:
            return
        started = time.perf_counter()
        per_span = fill(tmp / "filled", args.spans)
        print(f"\nstored {args.spans} spans in {time.perf_counter() - started:.0f}s; "
              f"{per_span:.0f} bytes of store per span")
        filled = Server(tmp / "filled", api_keys=False, default_models=False)
        try:
            with grpc.insecure_channel(filled.target) as channel:
                found = latencies(telemetry_pb2_grpc.TelemetryServiceStub(channel), args.repeats)
            for name, times in found.items():
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"{name:34s} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")
        finally:
            filled.stop()


if __name__ == "__main__":
    main()
