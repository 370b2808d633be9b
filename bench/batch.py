"""Batch benchmark: a batch inference job against the engine's own offline batch, and an
interactive chat's time to first byte while a batch runs against the same on an idle
server, measured side by side in one run on the ~100M-parameter test model (built
offline on first use).

    .venv/bin/python bench/batch.py [--lines 64] [--tokens 32] [--max-batch 16] [--repeats 8]

Prints, with the raw numbers:
  (a) batch job tokens/s (submit to completed, every line's usage) / the engine's own
      offline batch over the same prompts (all submitted to the engine at once), greedy;
  (b) time to first byte of a streamed gRPC chat while a batch job runs / on an idle
      server (medians);
  (c) how long a cancel of the running batch took to answer (the job stopped).
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

from bench._engine import engine_batch  # noqa: E402
from llamastack.batchinference.v0 import batchinference_pb2 as batch_pb2  # noqa: E402
from llamastack.batchinference.v0 import batchinference_pb2_grpc as batch_grpc  # noqa: E402
from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.inference.v0 import inference_pb2, inference_pb2_grpc  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402
from server.inference.loaders import load  # noqa: E402
from server.inference.models import ModelSpec  # noqa: E402

MODEL = "bench-llm"


def prompt(i: int) -> str:
    return f"Question {i}: tell me about item number {i} in the catalogue."


def submit(stub, lines: int, tokens: int) -> str:
    jsonl = "".join(json.dumps([{"role": "user", "text": prompt(i)}]) + "\n" for i in range(lines))
    job = stub.SubmitBatchInferenceJob(batch_pb2.SubmitBatchInferenceJobRequest(
        model=MODEL, prompt_file_path=v0.Path(type=v0.PATH_TYPE_RAW_BYTES, value=jsonl),
        options=v0.Options(max_tokens=tokens, temperature=0.0)), timeout=60)
    return job.job_id


def wait(stub, job_id: str, until) -> batch_pb2.BatchInferenceJob:
    while True:
        job = stub.GetBatchInferenceJobStatus(batch_pb2.GetBatchInferenceJobStatusRequest(job_id=job_id), timeout=60)
        if until(job):
            return job
        time.sleep(0.02)


def ended(job) -> bool:
    return job.status in (v0.BATCH_JOB_STATUS_COMPLETED, v0.BATCH_JOB_STATUS_FAILED, v0.BATCH_JOB_STATUS_CANCELLED)


def batch_throughput(server: EmbeddedServer, lines: int, tokens: int) -> tuple[float, int]:
    stub = batch_grpc.BatchInferenceServiceStub(server.channel)
    start = time.perf_counter()
    job = wait(stub, submit(stub, lines, tokens), ended)
    elapsed = time.perf_counter() - start
    assert job.status == v0.BATCH_JOB_STATUS_COMPLETED, job
    produced = sum(json.loads(line)["usage"]["output_tokens"]
                   for line in Path(job.success_file_path.value).read_text().splitlines())
    return produced / elapsed, produced


def first_bytes(server: EmbeddedServer, repeats: int) -> list[float]:
    stub = inference_pb2_grpc.InferenceServiceStub(server.channel)
    samples = []
    for i in range(repeats):
        request = inference_pb2.ChatCompletionRequest(
            model=MODEL, messages=[v0.Message(input=v0.ModelInputMessage(role=v0.MODEL_INPUT_MESSAGE_ROLE_USER,
                                                                         text=f"Interactive question {i}?"))],
            options=v0.Options(max_tokens=8, temperature=0.0))
        start = time.perf_counter()
        call = stub.StreamChatCompletion(request, timeout=600)
        next(iter(call))
        samples.append(time.perf_counter() - start)
        call.cancel()
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama",
                        help="checkpoint folder (built with the 'bench' size if missing)")
    parser.add_argument("--lines", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()

    checkpoint = demo_model.build(args.model, size="bench")
    spec = ModelSpec(id=MODEL, checkpoint=str(checkpoint), max_batch=args.max_batch)
    print(f"model {checkpoint}, max_batch {args.max_batch}, {args.lines} lines x {args.tokens} tokens, greedy")

    engine = load(spec)

    async def alone():
        await engine_batch(engine, [prompt(0), prompt(1)], 4)  # warm-up
        return await engine_batch(engine, [prompt(i) for i in range(args.lines)], args.tokens)

    engine_tps, engine_tokens = asyncio.run(alone())
    engine.close()

    with tempfile.TemporaryDirectory() as data_dir:
        config = ServerConfig(grpc_port=0, http_port=-1, data_dir=Path(data_dir), default_models=False,
                              models=[spec.__dict__])
        server = EmbeddedServer(config)
        try:
            batch_throughput(server, 2, 4)  # warm-up
            batch_tps, batch_tokens = batch_throughput(server, args.lines, args.tokens)
            idle = first_bytes(server, args.repeats)
            stub = batch_grpc.BatchInferenceServiceStub(server.channel)
            busy_job = submit(stub, args.lines * 8, args.tokens)
            wait(stub, busy_job, lambda job: job.lines_done >= 1)
            busy = first_bytes(server, args.repeats)
            still_running = not ended(wait(stub, busy_job, lambda job: True))
            start = time.perf_counter()
            cancelled = stub.CancelBatchInferenceJob(batch_pb2.CancelBatchInferenceJobRequest(job_id=busy_job),
                                                     timeout=60)
            cancel_s = time.perf_counter() - start
        finally:
            server.stop()

    print(f"(a) engine offline batch: {engine_tps:8.1f} tok/s ({engine_tokens} tokens)")
    print(f"    batch inference job:  {batch_tps:8.1f} tok/s ({batch_tokens} tokens)"
          f"  ratio {batch_tps / engine_tps:.2f}")
    print(f"(b) chat time to first byte: idle {statistics.median(idle) * 1000:.1f} ms, during a batch "
          f"{statistics.median(busy) * 1000:.1f} ms  ratio {statistics.median(busy) / statistics.median(idle):.2f}"
          f"{'' if still_running else '  (the batch ended before the last sample)'}")
    print(f"(c) cancel of the running batch answered in {cancel_s * 1000:.0f} ms "
          f"({cancelled.lines_done} of {cancelled.lines_total} lines done, status "
          f"{v0.BatchJobStatus.Name(cancelled.status)})")


if __name__ == "__main__":
    main()
