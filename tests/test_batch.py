"""The draft's batch jobs over gRPC and REST on the tiny models: batch inference, batch
reward scoring and synthetic data generation submitted, followed to completion, and their
outputs read back from the files and through the outputs RPC; error lines for bad input
lines; metadata carried; the filtering functions; cancel; a stop and a restart in the
middle of a batch; and the bad requests that submit nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from _batch import BatchClient, answer, file_lines, user, write_jsonl
from _client import ApiError, Client
from _wait import wait_until
from conftest import RunningServer, make_config
from server.batch import filters
from server.jobs import tables
from server.storage import LmdbStore

PROTOCOLS = ["grpc", "rest"]
OPTIONS = {"max_tokens": 4}


@pytest.fixture(scope="module")
def batch_server(tmp_path_factory, tiny_llm, tiny_reward_model):
    data_dir = tmp_path_factory.mktemp("batch")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=[
        {"id": "tiny-llama", "checkpoint": str(tiny_llm), "max_batch": 8},
        {"id": "tiny-reward", "checkpoint": str(tiny_reward_model), "kind": "reward"}]))
    yield running
    running.stop()


@pytest.fixture
def files(batch_server) -> Path:
    return batch_server.config.data_dir / "files"


def jobs_of(server, kind: str) -> list[str]:
    return [r.id for r in server.app.jobs.list(kind)]


# ---------------------------------------------------------------- batch inference


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batch_inference_answers_every_line_and_files_bad_ones(batch_server, files, protocol):
    client = BatchClient(batch_server, protocol, "batch_inference")
    uri = write_jsonl(files / f"prompts-{protocol}.jsonl", [
        [user("Tell me about harbours.")],
        {"custom_id": "weather", "messages": [user("What is the weather?")]},
        "",  # blank lines are skipped, not counted
        "{not json",
        {"custom_id": "history", "messages": [user("Hi"), answer("Hello!"), user("Go on.")]},
        {"custom_id": "bad-role", "messages": [{"role": "assistant", "text": "no such input role"}]},
    ])
    submitted = client.submit({"model": "tiny-llama", "prompt_file_path": {"type": "uri", "value": uri},
                               "options": OPTIONS, "num_generations": 2})
    assert submitted["status"] in ("validating", "running", "completed")
    assert submitted["input_file_path"] == {"type": "uri", "value": uri}
    job = client.wait(submitted["job_id"])
    assert job["status"] == "completed", job
    assert (job["lines_total"], job["lines_done"], job["lines_failed"]) == (5, 5, 2)
    assert job["metadata"] == {"model": "tiny-llama", "num_generations": 2}

    results = file_lines(job, "success_file_path")
    assert [(r["custom_id"], r["index"]) for r in results] == [("0", 0), ("weather", 1), ("history", 3)]
    for result in results:
        assert len(result["candidates"]) == 2
        for candidate in result["candidates"]:
            assert candidate["finish_reason"] in ("stop", "max-length") and 1 <= len(candidate["tokens"]) <= 4
            assert isinstance(candidate["text"], str)
        usage = result["usage"]
        assert usage["output_tokens"] == sum(len(c["tokens"]) for c in result["candidates"])
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    failed = file_lines(job, "error_file_path")
    assert [(e["custom_id"], e["index"], e["error"]["status"]) for e in failed] == [("2", 2, 400), ("bad-role", 4, 400)]
    assert "not valid JSON" in failed[0]["error"]["detail"] and "role" in failed[1]["error"]["detail"]
    assert failed[0]["error"]["title"] == "Bad Request"

    assert client.outputs(job["job_id"], page_size=2) == results  # two pages, then the last
    assert client.outputs(job["job_id"], "error") == failed


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batch_inference_reads_raw_bytes_and_data_uris(batch_server, protocol):
    client = BatchClient(batch_server, protocol, "batch_inference")
    lines = json.dumps([user("one")]) + "\n" + json.dumps([user("two")]) + "\n"
    raw = client.submit({"prompt_file_path": {"type": "raw_bytes", "value": lines}, "options": OPTIONS})
    assert raw["input_file_path"] == {"type": "raw_bytes"}  # the bytes are not echoed back
    data = client.submit({"prompt_file_path": {"type": "uri", "value": "data:application/jsonl," + lines},
                          "options": OPTIONS})
    for submitted in (raw, data):
        job = client.wait(submitted["job_id"])
        assert job["status"] == "completed" and job["metadata"]["model"] == "tiny-llama"  # the default LLM
        assert [r["custom_id"] for r in client.outputs(job["job_id"])] == ["0", "1"]


def test_batch_inference_lines_go_through_the_engine_together(batch_server, files, monkeypatch):
    engine = batch_server.app.models.loaded["tiny-llama"]
    in_flight, peak = [0], [0]
    original = engine.generate

    async def counted(request):  # the real engine, counting the requests it holds at once
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        try:
            async for event in original(request):
                yield event
        finally:
            in_flight[0] -= 1

    monkeypatch.setattr(engine, "generate", counted)
    uri = write_jsonl(files / "together.jsonl", [[user(f"line {i}")] for i in range(24)])
    client = BatchClient(batch_server, "rest", "batch_inference")
    job = client.wait(client.submit({"prompt_file_path": {"type": "uri", "value": uri},
                                     "options": {"max_tokens": 8}})["job_id"])
    assert job["status"] == "completed" and job["lines_done"] == 24
    # As many lines at once as the background budget allows (8 rows, one kept free), not one by one.
    budget = batch_server.app.servicers["llamastack.inference.v0.InferenceService"]._service.budget
    assert peak[0] == budget.limit("tiny-llama") == 7


# ---------------------------------------------------------------- batch reward scoring


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_batch_reward_scoring_scores_as_reward_scoring_does(batch_server, files, protocol):
    client = BatchClient(batch_server, protocol, "batch_reward_scoring")
    pairs = [[user("Is the sea blue?"), answer("Yes, mostly.")],
             [user("Name a colour."), answer("Green.")]]
    uri = write_jsonl(files / f"pairs-{protocol}.jsonl", [
        {"custom_id": "sea", "messages": pairs[0]},
        {"custom_id": "colour", "messages": pairs[1]},
        {"custom_id": "no-response", "messages": [user("Nothing to score")]},
    ])
    submitted = client.submit({"reward_model": "tiny-reward", "scoring_function": {"name": "reward_model"},
                               "prompt_with_response_path": {"type": "uri", "value": uri},
                               "metadata": {"run": "nightly", "round": 3}})
    job = client.wait(submitted["job_id"])
    assert job["status"] == "completed" and job["metadata"] == {"run": "nightly", "round": 3}
    results = file_lines(job, "success_file_path")
    assert [r["custom_id"] for r in results] == ["sea", "colour"]
    direct = Client(batch_server, protocol)
    for result, pair in zip(results, pairs, strict=True):
        expected = direct.call("llamastack.rewardscoring.v0.RewardScoringService/ScoreReward", {
            "reward": "tiny-reward", "prompt_with_response": pair, "scoring_function": {"name": "reward_model"}})
        assert result["score"] == pytest.approx(expected["score"], abs=1e-6)
        assert result["logprob"] == pytest.approx(expected["logprob"], abs=1e-4)
        assert result["metadata"] == {"run": "nightly", "round": 3}
    [failed] = client.outputs(job["job_id"], "error")
    assert failed["custom_id"] == "no-response" and "must end with the response" in failed["error"]["detail"]
    assert client.outputs(job["job_id"]) == results


# ---------------------------------------------------------------- synthetic data generation


def _sdg(client, uri: str, filtering: dict | None) -> list[dict]:
    body = {"model": "tiny-llama", "prompt_file_path": uri, "num_generations": 4,
            "options": {"max_tokens": 4, "temperature": 1.0, "seed": 11},
            "reward_model": "tiny-reward", "metadata": {"set": "demo"}}
    if filtering is not None:
        body["filtering_function"] = filtering
    job = client.wait(client.submit(body)["job_id"])
    assert job["status"] == "completed", job
    assert job["metadata"] == {"set": "demo"} and job["input_file_path"] == uri
    points = file_lines(job, "success_file_path")
    assert client.outputs(job["job_id"]) == points
    for point in points:
        assert point["response"].pop("id").startswith(f"{job['job_id']}-")  # the rest is the same in every job
    return points


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_synthetic_data_generation_keeps_what_each_filter_chooses(batch_server, files, protocol):
    client = BatchClient(batch_server, protocol, "synthetic_data_gen")
    prompts = [{"custom_id": "a", "messages": [user("Write a line about rivers.")]},
               {"custom_id": "b", "messages": [user("Write a line about hills.")]}]
    uri = write_jsonl(files / f"seeds-{protocol}.jsonl", prompts)
    everything = _sdg(client, uri, None)
    assert [(p["custom_id"], p["index"]) for p in everything] == [(c, i) for c in "ab" for i in range(4)]
    for point in everything:
        written = next(p["messages"] for p in prompts if p["custom_id"] == point["custom_id"])
        assert point["prompt"] == [{**m, "attachments": []} for m in written]
        assert isinstance(point["response"]["text"], str) and isinstance(point["score"], float)
        assert "logprob" in point
    scores = {c: [p["score"] for p in everything if p["custom_id"] == c] for c in "ab"}
    threshold = sorted(scores["a"] + scores["b"])[3]
    for filtering in ({"name": "top_k", "params": {"k": 2}}, {"name": "top_p", "params": {"p": 0.5}},
                      {"name": "threshold", "params": {"threshold": threshold}}):
        kept = _sdg(client, uri, filtering)
        spec = filters.check(filtering["name"], filtering["params"])
        expected = [p for c in "ab" for i, p in enumerate(q for q in everything if q["custom_id"] == c)
                    if i in filters.kept(spec, scores[c])]
        assert kept == expected, filtering["name"]


def test_filtering_functions_choose_exactly():
    scores = [0.5, 2.0, -1.0, 2.0, 0.0]
    assert filters.kept(filters.check("none", {}), scores) == [0, 1, 2, 3, 4]
    assert filters.kept(filters.check("top_k", {"k": 2}), scores) == [1, 3]
    assert filters.kept(filters.check("top_k", {"k": 3}), scores) == [0, 1, 3]
    assert filters.kept(filters.check("top_k", {"k": 9}), scores) == [0, 1, 2, 3, 4]
    assert filters.kept(filters.check("top_p", {"p": 0.5}), scores) == [0, 1, 3]  # ceil(2.5) = 3
    assert filters.kept(filters.check("top_p", {"p": 0.2}), scores) == [1]  # ties: the earlier one
    assert filters.kept(filters.check("threshold", {"threshold": 0.5}), scores) == [0, 1, 3]
    assert filters.kept(filters.check(None, {}), []) == []


# ---------------------------------------------------------------- cancel


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cancel_stops_the_batch_and_keeps_its_finished_lines(batch_server, files, protocol):
    client = BatchClient(batch_server, protocol, "batch_inference")
    uri = write_jsonl(files / f"long-{protocol}.jsonl", [[user(f"Count to {i}.")] for i in range(400)])
    submitted = client.submit({"prompt_file_path": {"type": "uri", "value": uri}, "options": {"max_tokens": 32}})
    wait_until(lambda: client.status(submitted["job_id"]).get("lines_done", 0) >= 3, timeout=60,
               message="a few lines done")
    cancelled = client.cancel(submitted["job_id"])  # answers once the job has stopped
    assert cancelled["status"] == "cancelled"
    done = cancelled["lines_done"]
    assert 3 <= done < 400
    results = file_lines(cancelled, "success_file_path")
    assert len(results) == done and len({r["index"] for r in results}) == done
    assert client.outputs(cancelled["job_id"]) == results
    engine = batch_server.app.models.loaded["tiny-llama"]
    wait_until(lambda: engine.active_requests == 0, message="the job's engine requests aborted")
    assert client.status(submitted["job_id"])["lines_done"] == done  # nothing ran after the cancel
    assert client.cancel(submitted["job_id"])["status"] == "cancelled"  # idempotent
    with pytest.raises(ApiError) as caught:
        BatchClient(batch_server, protocol, "synthetic_data_gen").cancel(submitted["job_id"])
    assert caught.value.code == "NOT_FOUND"  # another API's job


# ---------------------------------------------------------------- bad requests


def _bad_requests(files: Path) -> list[tuple[str, dict, str]]:
    good = write_jsonl(files / "good.jsonl", [[user("hello")]])
    pairs = write_jsonl(files / "good-pairs.jsonl", [[user("hello"), answer("hi")]])
    (files / "folder.jsonl").mkdir(exist_ok=True)
    outside = Path(files).parent / "outside.jsonl"
    write_jsonl(outside, [[user("hello")]])
    path = {"type": "uri", "value": good}
    return [
        ("batch_inference", {"prompt_file_path": {"type": "uri", "value": (files / "missing.jsonl").as_uri()}},
         "prompt_file_path.value"),
        ("batch_inference", {"prompt_file_path": {"type": "filepath", "value": str(files / "folder.jsonl")}},
         "prompt_file_path.value"),
        ("batch_inference", {"prompt_file_path": {"type": "uri", "value": outside.as_uri()}},
         "prompt_file_path.value"),
        ("batch_inference", {"prompt_file_path": {"type": "filepath", "value": "relative.jsonl"}},
         "prompt_file_path.value"),
        ("batch_inference", {"prompt_file_path": {"type": "raw_bytes", "value": "\n\n"}}, "prompt_file_path"),
        ("batch_inference", {"prompt_file_path": {"value": "somewhere"}}, "prompt_file_path.type"),
        ("batch_inference", {}, "prompt_file_path"),
        ("batch_inference", {"model": "no-such-model", "prompt_file_path": path}, "model"),
        ("batch_inference", {"model": "tiny-reward", "prompt_file_path": path}, "model"),
        ("batch_inference", {"num_generations": -1, "prompt_file_path": path}, "num_generations"),
        ("batch_inference", {"options": {"max_tokens": 0}, "prompt_file_path": path}, "options.max_tokens"),
        ("batch_reward_scoring", {"reward_model": "no-such-model",
                                  "prompt_with_response_path": {"type": "uri", "value": pairs}}, "reward_model"),
        ("batch_reward_scoring", {"scoring_function": {"name": "vibes"},
                                  "prompt_with_response_path": {"type": "uri", "value": pairs}},
         "scoring_function.name"),
        ("batch_reward_scoring", {"prompt_with_response_path": {"type": "uri", "value": outside.as_uri()}},
         "prompt_with_response_path.value"),
        ("synthetic_data_gen", {"prompt_file_path": good, "filtering_function": {"name": "best_half"}},
         "filtering_function.name"),
        ("synthetic_data_gen", {"prompt_file_path": good, "filtering_function": {"name": "top_k", "params": {}}},
         "filtering_function.params.k"),
        ("synthetic_data_gen", {"prompt_file_path": good, "filtering_function": {
            "name": "top_p", "params": {"p": 1.5}}}, "filtering_function.params.p"),
        ("synthetic_data_gen", {"prompt_file_path": good, "scoring_function": {"name": "vibes"}},
         "scoring_function.name"),
        ("synthetic_data_gen", {"prompt_file_path": good, "num_generations": -2}, "num_generations"),
        ("synthetic_data_gen", {"prompt_file_path": good, "model": "no-such-model"}, "model"),
        ("synthetic_data_gen", {"prompt_file_path": "relative/path.jsonl"}, "prompt_file_path"),
        ("synthetic_data_gen", {"prompt_file_path": (files / "missing.jsonl").as_uri()}, "prompt_file_path"),
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_requests_are_refused_naming_the_field_and_submit_nothing(batch_server, files, protocol):
    before = {api: jobs_of(batch_server, api) for api in ("batch_inference", "batch_reward_scoring",
                                                          "synthetic_data_gen")}
    for api, body, field in _bad_requests(files):
        with pytest.raises(ApiError) as caught:
            BatchClient(batch_server, protocol, api).submit(body)
        error = caught.value
        assert error.code == "INVALID_ARGUMENT", (api, body, error)
        assert error.names(field), (api, body, field, error)
        if protocol == "grpc":
            assert field in error.fields, (field, error.fields)
        else:
            assert error.http_status == 400 and error.body["title"] == "Bad Request"
    assert {api: jobs_of(batch_server, api) for api in before} == before


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_jobs_and_bad_pages(batch_server, files, protocol):
    client = BatchClient(batch_server, protocol, "batch_reward_scoring")
    for call in (client.status, client.cancel, client.outputs):
        with pytest.raises(ApiError) as caught:
            call("no-such-job")
        assert caught.value.code == "NOT_FOUND"
    pairs = write_jsonl(files / "page-pairs.jsonl", [[user("a"), answer("b")]])
    job = client.wait(client.submit({"prompt_with_response_path": {"type": "uri", "value": pairs}})["job_id"])
    for body, field in (({"page_size": 0}, "page_size"), ({"page_size": 5000}, "page_size"),
                        ({"page_token": "later"}, "page_token")):
        with pytest.raises(ApiError) as caught:
            client.call("ListBatchRewardScoringJobOutputs", {"job_id": job["job_id"], **body})
        assert caught.value.code == "INVALID_ARGUMENT" and caught.value.names(field)


# ---------------------------------------------------------------- stop and restart


def test_a_batch_stopped_mid_way_resumes_after_the_restart(tmp_path, tiny_llm):
    (tmp_path / "files").mkdir()
    config = make_config(tmp_path, models=[{"id": "tiny-llama", "checkpoint": str(tiny_llm), "max_batch": 4}])
    uri = write_jsonl(tmp_path / "files" / "resume.jsonl", [[user(f"Item {i}")] for i in range(60)])
    server = RunningServer(config)
    try:
        client = BatchClient(server, "grpc", "batch_inference")
        # Sampled without a seed: a line done twice would (almost surely) read differently.
        job_id = client.submit({"prompt_file_path": {"type": "uri", "value": uri},
                                "options": {"max_tokens": 16, "temperature": 1.0}})["job_id"]
        wait_until(lambda: client.status(job_id).get("lines_done", 0) >= 4, timeout=60, message="a few lines")
    finally:
        server.stop()  # what SIGTERM does: the job's record stays running
    done_before = stored_lines(tmp_path, job_id)
    assert 4 <= len(done_before) < 60
    restarted = RunningServer(config)
    try:
        client = BatchClient(restarted, "rest", "batch_inference")
        job = client.wait(job_id)
        assert job["status"] == "completed" and (job["lines_done"], job["lines_failed"]) == (60, 0)
        results = file_lines(job, "success_file_path")
        assert [r["index"] for r in results] == list(range(60))
        for index, line in done_before.items():
            assert results[index] == line  # kept, not done again
        log = [e.message for e in restarted.app.jobs.logs(job_id)]
        assert f"resumed: {len(done_before)} of 60 line(s) already done" in log, log
    finally:
        restarted.stop()


def stored_lines(data_dir: Path, job_id: str) -> dict[int, dict]:
    """The success lines a stopped server's store holds for the job."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(*tables.TABLES)
        with store.read() as txn:
            return {index: json.loads(value) for index, value in tables.rows(txn, job_id, "success")}
    finally:
        store.close()
