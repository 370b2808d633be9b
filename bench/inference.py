"""Inference benchmark: the server against its engine alone, measured side by side in
one run on the ~100M-parameter test model (built offline on first use). The engine
alone is the server's own engine, driven on the server's event loop, so both arms run
in one process and interleave (A, B, A, B... for --rounds rounds; bench/_rounds.py).

    .venv/bin/python bench/inference.py [--engine transformers|vllm] [--clients 32] [--tokens 64] [--rounds 5]

Prints medians with their spread [lowest-highest] over the rounds, and the ratios:
  (a) server tokens/s with 1 and with N concurrent gRPC clients / the engine's own
      offline batch throughput (N requests submitted to the engine at once);
  (b) time to first token through gRPC and through the REST gateway (SSE) / the engine alone;
  (c) decoding tokens/s of one answer of --short and of --long tokens (flat: ratio ~1),
      and of --long tokens watching stop strings that never match (ratio ~1 to without);
  (d) embeddings/s through the service (gRPC rerank, which embeds every item) / raw
      sentence-transformers encoding of the same texts.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

from bench._engine import engine_batch, prompt_ids  # noqa: E402
from bench._rounds import figure, interleaved, ratio  # noqa: E402
from bench._server import HEADERS, METADATA, security_settings  # noqa: E402
from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.inference.v0 import inference_pb2, inference_pb2_grpc  # noqa: E402
from llamastack.inference.v1alpha import inference_pb2 as rerank_pb2  # noqa: E402
from llamastack.inference.v1alpha import inference_pb2_grpc as rerank_grpc
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.engines.base import GenerationRequest  # noqa: E402
from server.inference.models import bundled_embedding_checkpoint  # noqa: E402
from server.inference.specs import ModelSpec  # noqa: E402

PROMPTS = [f"Question {i}: tell me about item number {i} in the catalogue." for i in range(256)]


def chat_request(i: int, tokens: int) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model="bench-llm", messages=[v0.Message(input=v0.ModelInputMessage(role=v0.MODEL_INPUT_MESSAGE_ROLE_USER,
                                                                           text=PROMPTS[i % len(PROMPTS)]))],
        options=v0.Options(max_tokens=tokens, temperature=0.0))


# ---------------------------------------------------------------- engine alone

def clients_prompts(clients: int) -> list[str]:
    return [PROMPTS[i % len(PROMPTS)] for i in range(clients)]


# Stop strings that the answers never hold: decoding pays for watching them, nothing more.
NEVER_STOPS = ["<never-stop-1>", "never stop 2"]


async def engine_decoding(engine, tokens: int, stop: list[str] | None = None) -> float:
    """Tokens/s of one answer after its first token: the cost of a decoding step."""
    times = []
    async for _ in engine.generate(GenerationRequest(prompt_ids=prompt_ids(engine.tokenizer, PROMPTS[0]),
                                                     max_tokens=tokens, stop=stop or [],
                                                     ignore_eos=True)):
        times.append(time.perf_counter())
    return (len(times) - 1) / (times[-1] - times[0])


async def engine_ttft(engine, repeats: int) -> float:
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        ids = prompt_ids(engine.tokenizer, PROMPTS[i % len(PROMPTS)])
        async for _ in engine.generate(GenerationRequest(prompt_ids=ids, max_tokens=1)):
            samples.append(time.perf_counter() - start)
            break
    return statistics.median(samples)


# ---------------------------------------------------------------- through the server

def server_throughput(server: EmbeddedServer, clients: int, tokens: int, requests: int) -> tuple[float, int]:
    stub = inference_pb2_grpc.InferenceServiceStub(server.channel)

    def one(i):
        response = stub.ChatCompletion(chat_request(i, tokens), metadata=METADATA, timeout=600)
        return response.usage.output_tokens

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        counts = list(pool.map(one, range(requests)))
    return sum(counts) / (time.perf_counter() - start), sum(counts)


def grpc_ttft(server: EmbeddedServer, repeats: int) -> float:
    stub = inference_pb2_grpc.InferenceServiceStub(server.channel)
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        call = stub.StreamChatCompletion(chat_request(i, 1), metadata=METADATA, timeout=600)
        next(iter(call))
        samples.append(time.perf_counter() - start)
        call.cancel()
    return statistics.median(samples)


def gateway_ttft(server: EmbeddedServer, repeats: int) -> float:
    samples = []
    for i in range(repeats):
        body = {"model": "bench-llm", "messages": [{"role": "user", "text": PROMPTS[i]}],
                "options": {"max_tokens": 1, "temperature": 0.0}}
        start = time.perf_counter()
        with server.http.stream("POST", "/inference/stream", json=body) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    samples.append(time.perf_counter() - start)
                    break
    return statistics.median(samples)


def service_embeddings(server: EmbeddedServer, texts: list[str], per_call: int, clients: int) -> float:
    stub = rerank_grpc.InferenceServiceStub(server.channel)
    chunks = [texts[i:i + per_call] for i in range(0, len(texts), per_call)]

    def one(chunk):
        request = rerank_pb2.RerankRequest(model="all-MiniLM-L6-v2", query=rerank_pb2.RerankQuery(text="query"),
                                           items=[rerank_pb2.RerankItem(text=t) for t in chunk])
        return len(stub.Rerank(request, metadata=METADATA, timeout=600).data) + 1  # the query is embedded too

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        embedded = sum(pool.map(one, chunks))
    return embedded / (time.perf_counter() - start)


def raw_embedder(checkpoint: str):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(checkpoint, device="cpu", local_files_only=True)
    model.encode(["warm-up"] * 64, normalize_embeddings=True)
    return model


def raw_embeddings(model, texts: list[str], per_call: int) -> float:
    start = time.perf_counter()
    embedded = 0
    for i in range(0, len(texts), per_call):
        chunk = ["query", *texts[i:i + per_call]]
        model.encode(chunk, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        embedded += len(chunk)
    return embedded / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["transformers", "vllm"], default="transformers")
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama",
                        help="checkpoint folder (built with the 'bench' size if missing)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10, help="first-token samples per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--short", type=int, default=64, help="answer length for (c)")
    parser.add_argument("--long", type=int, default=512, help="answer length for (c)")
    parser.add_argument("--texts", type=int, default=2048)
    args = parser.parse_args()

    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id="bench-llm", checkpoint=str(checkpoint), engine=args.engine, max_batch=args.clients)
    embedder = bundled_embedding_checkpoint()
    texts = [f"Passage {i}: a sentence about topic {i % 97} and detail {i}." for i in range(args.texts)]
    print(f"model {checkpoint} ({args.engine}), {args.clients} clients, {args.tokens} tokens each, "
          f"{args.rounds} interleaved rounds")

    with tempfile.TemporaryDirectory() as data_dir:
        config = ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir), default_models=False, models=[
            spec.__dict__, {"id": "all-MiniLM-L6-v2", "checkpoint": embedder, "kind": "embedding"}],
            security=security_settings(), access_log=False)  # as production runs it: tracing (the default), keys
        server = EmbeddedServer(config)
        server.http.headers.update(HEADERS)
        engine = server.app.models.get("bench-llm", ("llm",))

        def on_engine(coroutine):
            return asyncio.run_coroutine_threadsafe(coroutine, server.loop).result(timeout=600)

        try:
            on_engine(engine_batch(engine, clients_prompts(2), 4))  # warm-up
            server_throughput(server, 2, 4, 2)
            throughput = interleaved({
                "engine": lambda: {"tok/s": on_engine(
                    engine_batch(engine, clients_prompts(args.clients), args.tokens))[0]},
                "one": lambda: {"tok/s": server_throughput(server, 1, args.tokens, 4)[0]},
                "many": lambda: {"tok/s": server_throughput(server, args.clients, args.tokens, args.clients)[0]},
            }, args.rounds)
            first = interleaved({
                "engine": lambda: {"s": on_engine(engine_ttft(engine, args.repeats))},
                "grpc": lambda: {"s": grpc_ttft(server, args.repeats)},
                "sse": lambda: {"s": gateway_ttft(server, args.repeats)},
            }, args.rounds)
            decoding = interleaved({
                "short": lambda: {"tok/s": on_engine(engine_decoding(engine, args.short))},
                "long": lambda: {"tok/s": on_engine(engine_decoding(engine, args.long))},
                "stop": lambda: {"tok/s": on_engine(engine_decoding(engine, args.long, NEVER_STOPS))},
            }, args.rounds)
            raw = raw_embedder(embedder)
            embeddings = interleaved({
                "raw": lambda: {"emb/s": raw_embeddings(raw, texts, 64)},
                "service": lambda: {"emb/s": service_embeddings(server, texts, 64, 4)},
            }, args.rounds)
        finally:
            server.stop()

    tps = {arm: values["tok/s"] for arm, values in throughput.items()}
    print(f"(a) engine offline batch: {figure(tps['engine'])} tok/s")
    print(f"    server, 1 client:     {figure(tps['one'])} tok/s  ratio {ratio(tps['one'], tps['engine'])}")
    print(f"    server, {args.clients} clients:  {figure(tps['many'])} tok/s  "
          f"ratio {ratio(tps['many'], tps['engine'])}")
    ttft = {arm: values["s"] for arm, values in first.items()}
    print(f"(b) time to first token: engine {figure(ttft['engine'], 1000)} ms, gRPC {figure(ttft['grpc'], 1000)} ms"
          f" (ratio {ratio(ttft['grpc'], ttft['engine'])}), gateway SSE {figure(ttft['sse'], 1000)} ms"
          f" (ratio {ratio(ttft['sse'], ttft['engine'])})")
    short, long = decoding["short"]["tok/s"], decoding["long"]["tok/s"]
    print(f"(c) decoding, one answer: {args.short} tokens {figure(short)} tok/s, {args.long} tokens {figure(long)}"
          f" tok/s  ratio {ratio(long, short)}")
    stop = decoding["stop"]["tok/s"]
    print(f"    {args.long} tokens watching {len(NEVER_STOPS)} stop strings: {figure(stop)} tok/s"
          f"  ratio {ratio(stop, long)} (to {args.long} without)")
    eps = {arm: values["emb/s"] for arm, values in embeddings.items()}
    print(f"(d) embeddings: sentence-transformers {figure(eps['raw'], digits=0)}/s, service "
          f"{figure(eps['service'], digits=0)}/s  ratio {ratio(eps['service'], eps['raw'])}")


if __name__ == "__main__":
    main()
