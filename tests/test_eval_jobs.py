"""Eval jobs (run_eval) end to end over gRPC and REST with the tiny model: status through
completion, the result, num_examples, cancel, the state errors, the cascade rule for
unregistering a benchmark, 404s, and a result of thousands of rows in one answer."""
from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest

from _eval import EvalApi, model_candidate, names_field, register_dataset
from _wait import wait_job
from conftest import RunningServer, make_config

ROWS = [{"question": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(6)]
FUNCTIONS = ["basic::equality", "basic::subset_of"]
BIG = 2000  # rows of the large-result job


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory, tiny_llm):
    data_dir = tmp_path_factory.mktemp("eval-jobs")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=[{"id": "tiny-llama", "checkpoint": str(tiny_llm)}]))
    register_dataset(running.http, "sums", ROWS)
    register_dataset(running.http, "big", [{"question": f"q{i}", "answer": "a"} for i in range(BIG)])
    yield running
    running.stop()


@pytest.fixture(params=["grpc", "rest"])
def api(request, jobs_server):
    return EvalApi(jobs_server, request.param)


def _benchmark(api, name: str, dataset: str = "sums") -> str:
    api("RegisterBenchmark", benchmark_id=name, dataset_id=dataset, scoring_functions=FUNCTIONS)
    return name


def _run(api, benchmark: str, max_tokens: int = 2, **config) -> dict:
    return api("RunEval", benchmark_id=benchmark,
               benchmark_config={"eval_candidate": model_candidate(max_tokens), "scoring_params": {}, **config})


def _finished(api, benchmark: str, job_id: str) -> dict:
    return wait_job(lambda: api("JobStatus", benchmark_id=benchmark, job_id=job_id), timeout=240)


def test_run_eval_to_completion_and_its_result(api):
    name = _benchmark(api, f"run-{api.name}")
    job = _run(api, name)
    assert set(job) == {"job_id", "status"} and job["status"] in ("scheduled", "in_progress", "completed")
    assert _finished(api, name, job["job_id"]) == {"job_id": job["job_id"], "status": "completed"}
    result = api("JobResult", benchmark_id=name, job_id=job["job_id"])
    assert len(result["generations"]) == len(ROWS)
    assert all(isinstance(g["generated_answer"], str) for g in result["generations"])
    assert sorted(result["scores"]) == FUNCTIONS
    for scores in result["scores"].values():
        assert len(scores["score_rows"]) == len(ROWS) and all(r["score"] in (0, 1) for r in scores["score_rows"])
        accuracy = scores["aggregated_results"]["accuracy"]
        assert accuracy["num_total"] == len(ROWS)
        assert accuracy["num_correct"] == sum(r["score"] for r in scores["score_rows"])
    # The answer to a completed job does not change when asked again.
    assert api("JobResult", benchmark_id=name, job_id=job["job_id"]) == result


def test_num_examples_and_scoring_params(api):
    name = _benchmark(api, f"limit-{api.name}")
    job = _run(api, name, num_examples=3, scoring_params={
        "basic::subset_of": {"type": "basic", "aggregation_functions": ["categorical_count", "median"]}})
    assert _finished(api, name, job["job_id"])["status"] == "completed"
    result = api("JobResult", benchmark_id=name, job_id=job["job_id"])
    assert len(result["generations"]) == 3
    subset = result["scores"]["basic::subset_of"]["aggregated_results"]
    assert set(subset) == {"categorical_count", "median"}
    assert sum(subset["categorical_count"]["categorical_count"].values()) == 3


def test_cancel_a_running_job_and_the_state_errors(api):
    name = _benchmark(api, f"cancel-{api.name}", dataset="big")
    job = _run(api, name, max_tokens=256)
    job_id = job["job_id"]
    early = api.error("JobResult", benchmark_id=name, job_id=job_id)
    assert api.is_precondition_failure(early) and job_id in early.message
    assert "is scheduled" in early.message or "is in_progress" in early.message
    # A benchmark whose job has not ended cannot be unregistered.
    busy = api.error("UnregisterBenchmark", benchmark_id=name)
    assert api.is_precondition_failure(busy) and job_id in busy.message and "cancel" in busy.message
    assert api("JobCancel", benchmark_id=name, job_id=job_id) is None
    # Cancel answers once the job has ended.
    assert api("JobStatus", benchmark_id=name, job_id=job_id) == {"job_id": job_id, "status": "cancelled"}
    late = api.error("JobResult", benchmark_id=name, job_id=job_id)
    assert api.is_precondition_failure(late) and "is cancelled" in late.message
    assert api("JobCancel", benchmark_id=name, job_id=job_id) is None  # cancelling again changes nothing
    # Cascade: now the benchmark goes, and its ended jobs with it.
    assert api("UnregisterBenchmark", benchmark_id=name) is None
    assert api.error("JobStatus", benchmark_id=name, job_id=job_id).code == "NOT_FOUND"
    _benchmark(api, name, dataset="big")  # the same id again: a new benchmark, without the old jobs
    gone = api.error("JobStatus", benchmark_id=name, job_id=job_id)
    assert gone.code == "NOT_FOUND" and job_id in gone.message


def test_cancel_a_completed_job_is_a_precondition_error(api):
    name = _benchmark(api, f"done-{api.name}")
    job_id = _run(api, name, num_examples=1)["job_id"]
    _finished(api, name, job_id)
    error = api.error("JobCancel", benchmark_id=name, job_id=job_id)
    assert api.is_precondition_failure(error) and "completed" in error.message


def test_unknown_benchmarks_and_jobs_are_404(api):
    config = {"eval_candidate": model_candidate(), "scoring_params": {}}
    for rpc, body in (("RunEval", {"benchmark_config": config}), ("JobStatus", {"job_id": "x"}),
                      ("JobCancel", {"job_id": "x"}), ("JobResult", {"job_id": "x"})):
        error = api.error(rpc, benchmark_id="nobody", **body)
        assert error.code == "NOT_FOUND" and "nobody" in error.message, rpc
    mine, other = _benchmark(api, f"mine-{api.name}"), _benchmark(api, f"other-{api.name}")
    job_id = _run(api, mine, num_examples=1)["job_id"]
    for rpc in ("JobStatus", "JobResult", "JobCancel"):
        assert api.error(rpc, benchmark_id=mine, job_id="eval-nope").code == "NOT_FOUND", rpc
        assert api.error(rpc, benchmark_id=other, job_id=job_id).code == "NOT_FOUND", rpc  # another benchmark's job
    _finished(api, mine, job_id)


def test_bad_run_eval_is_400_and_submits_nothing(api, jobs_server):
    name = _benchmark(api, f"bad-{api.name}")
    before = len(jobs_server.app.jobs.list("eval"))
    for config, field in (
        ({"eval_candidate": model_candidate(), "scoring_params": {}, "num_examples": 0},
         "benchmark_config.num_examples"),
        ({"eval_candidate": {**model_candidate(), "model": "nope"}, "scoring_params": {}},
         "benchmark_config.eval_candidate.model"),
        ({"eval_candidate": model_candidate(), "scoring_params": {
            "llm-as-judge::base": {"type": "llm_as_judge", "judge_model": "tiny-llama", "judge_score_regexes": [],
                                   "aggregation_functions": []}}},
         "benchmark_config.scoring_params.llm-as-judge::base"),
    ):
        error = api.error("RunEval", benchmark_id=name, benchmark_config=config)
        assert names_field(error, field), error
    assert len(jobs_server.app.jobs.list("eval")) == before


def test_a_result_of_thousands_of_rows_comes_back_whole(jobs_server):
    rest = EvalApi(jobs_server, "rest")
    name = _benchmark(rest, "big-result", dataset="big")
    job_id = _run(rest, name, max_tokens=1)["job_id"]
    assert _finished(rest, name, job_id)["status"] == "completed"
    # A client of large results raises its receive limit (gRPC's default is 4 MiB).
    with grpc.insecure_channel(jobs_server.grpc_target, options=[("grpc.max_receive_message_length", -1)]) as channel:
        over_grpc = EvalApi(SimpleNamespace(channel=channel), "grpc")("JobResult", benchmark_id=name, job_id=job_id)
    over_rest = rest("JobResult", benchmark_id=name, job_id=job_id)
    assert over_grpc == over_rest
    assert len(over_rest["generations"]) == BIG
    for scores in over_rest["scores"].values():
        assert len(scores["score_rows"]) == BIG
        assert scores["aggregated_results"]["accuracy"]["num_total"] == BIG
