"""Eval benchmark, measured side by side in one run on one server:

  (a) rows/s of run_eval with a model candidate over N dataset rows, against the same
      prompts through batch inference (the draft's /batch_inference/jobs, when this server
      serves it) or else through the server's chat at the eval's concurrency (N gRPC
      clients at once, as many as the background budget lets an eval job run);
  (b) the cost of scoring alone: the built-in basic scoring functions on 1,000 rows of
      ready generations, per function and all together (no model involved);
  (c) cancel latency: how long DELETE .../jobs/{job_id} takes to answer (it answers once
      the job has ended) while a long eval job runs, rows in flight.

    .venv/bin/python bench/eval.py [--rows 128] [--tokens 16] [--rounds 2] [--model PATH]

The model is the ~100M-parameter test model (built offline on first use) unless --model
names a checkpoint. Greedy decoding, so both paths generate the same answers.
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
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

from llamastack.common.v0 import common_pb2 as v0  # noqa: E402
from llamastack.eval.v1alpha import eval_pb2  # noqa: E402
from llamastack.inference.v0 import inference_pb2, inference_pb2_grpc  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.eval.candidates import Candidate  # noqa: E402
from server.eval.evaluation import Plan, evaluate, scorers_of  # noqa: E402
from server.eval.rows import EvalRow  # noqa: E402
from server.eval.scoring import ScoringContext  # noqa: E402
from server.inference import demo_model  # noqa: E402

MODEL = "bench-llm"
BASIC = ["basic::equality", "basic::subset_of", "basic::regex_parser_multiple_choice_answer",
         "basic::regex_parser_math_response"]


def prompt(i: int) -> str:
    return f"Question {i}: what is {i} plus {i + 1}? Answer: "


# ---------------------------------------------------------------- (a) through the server


def run_eval(server: EmbeddedServer, benchmark: str, tokens: int, rows: int) -> float:
    """Seconds from submit to the job's completion (woken by the job's own final write)."""
    start = time.perf_counter()
    answer = server.http.post(f"/v1alpha/eval/benchmarks/{benchmark}/jobs", json={"benchmark_config": {
        "eval_candidate": {"type": "model", "model": MODEL,
                           "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": tokens}},
        "scoring_params": {}, "num_examples": rows}})
    assert answer.status_code == 200, answer.text
    record = asyncio.run_coroutine_threadsafe(server.app.jobs.wait(answer.json()["job_id"]), server.loop).result()
    elapsed = time.perf_counter() - start
    assert record.state.value == "completed", record
    return elapsed


def batch_inference(server: EmbeddedServer, tokens: int, rows: int) -> float | None:
    """Seconds for the same prompts as one batch inference job; None if not served."""
    lines = "".join(json.dumps([{"role": "user", "text": prompt(i)}]) + "\n" for i in range(rows))
    start = time.perf_counter()
    answer = server.http.post("/batch_inference/jobs/submit", json={
        "model": MODEL, "prompt_file_path": {"type": "raw_bytes", "value": lines},
        "options": {"max_tokens": tokens, "temperature": 0.0}})
    if answer.status_code == 501:
        return None
    assert answer.status_code == 200, answer.text
    record = asyncio.run_coroutine_threadsafe(server.app.jobs.wait(answer.json()["job_id"]), server.loop).result()
    elapsed = time.perf_counter() - start
    assert record.state.value == "completed", record
    return elapsed


def concurrent_chat(server: EmbeddedServer, tokens: int, rows: int, clients: int) -> float:
    """Seconds for the same prompts through the chat RPC, `clients` at a time."""
    stub = inference_pb2_grpc.InferenceServiceStub(server.channel)

    def one(i):
        stub.ChatCompletion(inference_pb2.ChatCompletionRequest(model=MODEL, messages=[v0.Message(
            input=v0.ModelInputMessage(role=v0.MODEL_INPUT_MESSAGE_ROLE_USER, text=prompt(i)))],
            options=v0.Options(max_tokens=tokens, temperature=0.0)), timeout=600)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(rows)))
    return time.perf_counter() - start


def cancel_latency(server: EmbeddedServer, benchmark: str, rows: int) -> float:
    """Seconds a cancel takes to answer while the job has rows in flight (long answers)."""
    answer = server.http.post(f"/v1alpha/eval/benchmarks/{benchmark}/jobs", json={"benchmark_config": {
        "eval_candidate": {"type": "model", "model": MODEL,
                           "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 512}},
        "scoring_params": {}, "num_examples": rows}})
    job_id = answer.json()["job_id"]
    asyncio.run_coroutine_threadsafe(server.app.jobs.wait_until(
        job_id, lambda record: record.state.value == "running"), server.loop).result()
    time.sleep(1.0)  # let its first rows reach the engine
    start = time.perf_counter()
    cancelled = server.http.delete(f"/v1alpha/eval/benchmarks/{benchmark}/jobs/{job_id}")
    elapsed = time.perf_counter() - start
    assert cancelled.status_code == 200, cancelled.text
    assert server.http.get(f"/v1alpha/eval/benchmarks/{benchmark}/jobs/{job_id}").json()["status"] == "cancelled"
    return elapsed


# ---------------------------------------------------------------- (b) scoring alone


class Ready(Candidate):
    """Answers each row with a generation already made (what scoring alone costs)."""

    concurrency = 64

    async def generate(self, row: EvalRow) -> dict:
        return {"generated_answer": row.values["generated"]}


def scoring_rows(count: int) -> list[EvalRow]:
    shapes = ["The final answer is $\\boxed{{{n}}}$.", "Answer: {letter}", "I think it is {n} apples.",
              "Let me think step by step. {n} + 1 - 1 = {n}, so the answer is {n}."]
    return [EvalRow(i, {"question": prompt(i), "answer": str(i % 7), "weight": 1 + i % 3,
                        "generated": shapes[i % 4].format(n=i % 5, letter="ABCD"[i % 4])}) for i in range(count)]


def scoring_seconds(function_ids: list[str], rows: list[EvalRow], repeats: int) -> float:
    config = eval_pb2.BenchmarkConfig()
    for function_id in function_ids:  # every aggregation, so that aggregating is counted too
        config.scoring_params[function_id].basic.aggregation_functions.extend(range(1, 6))
    plan = Plan(Ready(), scorers_of(function_ids, config, ScoringContext(None), "scoring_functions"))

    async def once():
        return [r async for r in evaluate(plan, rows)]

    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        asyncio.run(once())
        samples.append(time.perf_counter() - start)
    return min(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / ".build" / "bench-models" / "bench-llama",
                        help="checkpoint folder (built with the 'bench' size if missing)")
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--score-rows", type=int, default=1000)
    args = parser.parse_args()

    checkpoint = demo_model.build(args.model, size="bench")
    print(f"model {checkpoint}, {args.rows} rows, {args.tokens} tokens each, max_batch {args.max_batch}")
    with tempfile.TemporaryDirectory() as data_dir:
        server = EmbeddedServer(ServerConfig(grpc_port=0, http_port=0, data_dir=Path(data_dir), default_models=False,
                                             models=[{"id": MODEL, "checkpoint": str(checkpoint),
                                                      "max_batch": args.max_batch}]))
        try:
            rows = [{"question": prompt(i), "answer": str(2 * i + 1)} for i in range(args.rows)]
            registered = server.http.post("/v1beta/datasets", json={
                "dataset_id": "bench", "purpose": "eval/question-answer", "source": {"type": "rows", "rows": rows}})
            assert registered.status_code == 200, registered.text
            assert server.http.post("/v1alpha/eval/benchmarks", json={
                "benchmark_id": "bench", "dataset_id": "bench",
                "scoring_functions": ["basic::equality"]}).status_code == 200
            # As many rows in flight as the background budget gives an eval job.
            clients = server.app.inference.budget.limit(MODEL)
            run_eval(server, "bench", 2, 8)  # warm-up
            comparator = "batch inference" if batch_inference(server, 2, 8) is not None else \
                f"concurrent chat ({clients} gRPC clients; batch inference is not served here)"
            evals, others = [], []
            for _ in range(args.rounds):  # alternated, so that both see the same machine
                evals.append(run_eval(server, "bench", args.tokens, args.rows))
                if comparator == "batch inference":
                    others.append(batch_inference(server, args.tokens, args.rows))
                else:
                    others.append(concurrent_chat(server, args.tokens, args.rows, clients))
            cancels = [cancel_latency(server, "bench", args.rows) for _ in range(3)]
        finally:
            server.stop()

    eval_rps = args.rows / statistics.median(evals)
    other_rps = args.rows / statistics.median(others)
    print(f"(a) run_eval (model candidate):  {eval_rps:7.2f} rows/s  (rounds: "
          f"{', '.join(f'{s:.2f}s' for s in evals)})")
    print(f"    {comparator}: {other_rps:7.2f} rows/s  (rounds: {', '.join(f'{s:.2f}s' for s in others)})")
    print(f"    ratio run_eval / comparator: {eval_rps / other_rps:.2f}  (target >= 0.85)")

    scored = scoring_rows(args.score_rows)
    per_thousand = 1000 / args.score_rows
    print(f"(b) scoring alone, {args.score_rows} rows of ready generations, every aggregation "
          f"(ms per 1,000 rows):")
    for function_id in BASIC:
        print(f"    {function_id:45s} {scoring_seconds([function_id], scored, 3) * 1000 * per_thousand:8.1f}")
    print(f"    {'all four together':45s} {scoring_seconds(BASIC, scored, 3) * 1000 * per_thousand:8.1f}")
    print(f"(c) cancel of a running eval job answered in {', '.join(f'{s * 1000:.0f} ms' for s in cancels)}"
          f" (target < 1 s)")


if __name__ == "__main__":
    main()
