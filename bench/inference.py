"""Inference benchmark: the server against its engine alone, measured side by side in
one run on the ~100M-parameter test model (built offline on first use).

    .venv/bin/python bench/inference.py [--engine transformers|vllm] [--clients 32] [--tokens 64]

Prints, with the raw numbers:
  (a) server tokens/s with 1 and with N concurrent gRPC clients / the engine's own
      offline batch throughput (N requests submitted to the engine at once);
  (b) time to first token through gRPC and through the REST gateway (SSE) / the engine alone;
  (c) embeddings/s through the service (gRPC rerank, which embeds every item) / raw
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
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.inference.v0 import inference_pb2, inference_pb2_grpc  # noqa: E402
from llamastack.inference.v1alpha import inference_pb2 as rerank_pb2, inference_pb2_grpc as rerank_grpc  # noqa: E402

from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.engines.base import GenerationRequest  # noqa: E402
from server.inference.loaders import load  # noqa: E402
from server.inference.models import bundled_embedding_checkpoint  # noqa: E402
from server.inference.specs import ModelSpec  # noqa: E402

PROMPTS = [f"Question {i}: tell me about item number {i} in the catalogue." for i in range(256)]


def chat_request(i: int, tokens: int) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model="bench-llm", messages=[v0.Message(input=v0.ModelInputMessage(role=v0.MODEL_INPUT_MESSAGE_ROLE_USER,
                                                                           text=PROMPTS[i % len(PROMPTS)]))],
        options=v0.Options(max_tokens=tokens, temperature=0.0))


def prompt_ids(tokenizer, i: int) -> list[int]:
    ids = tokenizer.apply_chat_template([{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                                        add_generation_prompt=True, tokenize=True)
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


# ---------------------------------------------------------------- engine alone

async def engine_batch(engine, clients: int, tokens: int) -> tuple[float, int]:
    async def one(i):
        count = 0
        async for _ in engine.generate(GenerationRequest(prompt_ids=prompt_ids(engine.tokenizer, i),
                                                         max_tokens=tokens)):
            count += 1
        return count

    start = time.perf_counter()
    counts = await asyncio.gather(*[one(i) for i in range(clients)])
    return sum(counts) / (time.perf_counter() - start), sum(counts)


async def engine_ttft(engine, repeats: int) -> float:
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        async for _ in engine.generate(GenerationRequest(prompt_ids=prompt_ids(engine.tokenizer, i), max_tokens=1)):
            samples.append(time.perf_counter() - start)
            break
    return statistics.median(samples)


# ---------------------------------------------------------------- through the server

def server_throughput(server: EmbeddedServer, clients: int, tokens: int, requests: int) -> tuple[float, int]:
    stub = inference_pb2_grpc.InferenceServiceStub(server.channel)

    def one(i):
        response = stub.ChatCompletion(chat_request(i, tokens), timeout=600)
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
        call = stub.StreamChatCompletion(chat_request(i, 1), timeout=600)
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
        return len(stub.Rerank(request, timeout=600).data) + 1  # the query is embedded too

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        embedded = sum(pool.map(one, chunks))
    return embedded / (time.perf_counter() - start)


def raw_embeddings(checkpoint: str, texts: list[str], per_call: int) -> float:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(checkpoint, device="cpu", local_files_only=True)
    model.encode(texts[:64], normalize_embeddings=True)  # warm-up
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
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--texts", type=int, default=2048)
    args = parser.parse_args()

    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id="bench-llm", checkpoint=str(checkpoint), engine=args.engine, max_batch=args.clients)
    embedder = bundled_embedding_checkpoint()
    texts = [f"Passage {i}: a sentence about topic {i % 97} and detail {i}." for i in range(args.texts)]

    print(f"model {checkpoint} ({args.engine}), {args.clients} clients, {args.tokens} tokens each")
    engine = load(spec)

    async def alone():
        await engine_batch(engine, 2, 4)  # warm-up
        return await engine_batch(engine, args.clients, args.tokens), await engine_ttft(engine, args.repeats)

    (engine_tps, engine_tokens), engine_first = asyncio.run(alone())
    engine.close()

    with tempfile.TemporaryDirectory() as data_dir:
        config = ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir), default_models=False, models=[
            spec.__dict__, {"id": "all-MiniLM-L6-v2", "checkpoint": embedder, "kind": "embedding"}])
        server = EmbeddedServer(config)
        try:
            server_throughput(server, 2, 4, 2)  # warm-up
            one_tps, _ = server_throughput(server, 1, args.tokens, 4)
            many_tps, many_tokens = server_throughput(server, args.clients, args.tokens, args.clients)
            first_grpc = grpc_ttft(server, args.repeats)
            first_rest = gateway_ttft(server, args.repeats)
            service_eps = service_embeddings(server, texts, 64, 4)
        finally:
            server.stop()
    raw_eps = raw_embeddings(embedder, texts, 64)

    print(f"(a) engine offline batch: {engine_tps:8.1f} tok/s ({engine_tokens} tokens)")
    print(f"    server, 1 client:     {one_tps:8.1f} tok/s  ratio {one_tps / engine_tps:.2f}")
    print(f"    server, {args.clients} clients:  {many_tps:8.1f} tok/s  ratio {many_tps / engine_tps:.2f}"
          f" ({many_tokens} tokens)")
    print(f"(b) time to first token: engine {engine_first * 1000:.1f} ms, gRPC {first_grpc * 1000:.1f} ms"
          f" (ratio {first_grpc / engine_first:.2f}), gateway SSE {first_rest * 1000:.1f} ms"
          f" (ratio {first_rest / engine_first:.2f})")
    print(f"(c) embeddings: sentence-transformers {raw_eps:.0f}/s, service {service_eps:.0f}/s"
          f"  ratio {service_eps / raw_eps:.2f}")


if __name__ == "__main__":
    main()
