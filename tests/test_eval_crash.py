"""SIGKILL during run_eval, with the real CLI serving the tiny model: after a restart the
job resumes and completes, and no row scored before the kill is generated again.

The candidate is an agent, so every generation is a session of the eval's agent that the
agents API lists (named after its row): the sessions count the generations. A row stored
before the kill keeps its one session and its generation; only the rest are generated
after the restart."""
from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import yaml

from _eval import register_dataset
from _serve import Cli
from _wait import wait_job, wait_until
from server.eval.evaluation import RowResult
from server.eval.jobs import RESULTS
from server.jobs import tables
from server.storage import LmdbStore

ROWS = 24
CONCURRENCY = 3  # the model's max_batch: rows in flight at once


def _stored(data_dir: Path, job_id: str) -> tuple[dict[int, dict], list[str]]:
    """What the stopped server had stored for the job: its rows (index -> generation) and its log."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(*tables.TABLES)
        with store.read() as txn:
            rows = {i: RowResult.from_bytes(v).generation for i, v in tables.rows(txn, job_id, RESULTS)}
            return rows, [entry.message for entry in tables.logs(txn, job_id)]
    finally:
        store.close()


def _sessions(server: Cli, agent_id: str) -> Counter:
    """How many sessions (generations) each row has had, by row index."""
    listed = server.http.get(f"/v1alpha/agents/{agent_id}/sessions")
    assert listed.status_code == 200, listed.text
    return Counter(int(s["session_name"].rsplit(" ", 1)[1]) for s in listed.json()["data"])


def test_sigkill_during_run_eval_resumes_without_rescoring(tmp_path, tiny_llm):
    data_dir, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"models": [
        {"id": "tiny-llama", "checkpoint": str(tiny_llm), "max_batch": CONCURRENCY}]}))
    args = ("--config", str(config))
    agent = {"model": "tiny-llama", "instructions": "Answer with a number.",
             "sampling_params": {"strategy": {"type": "top_p", "temperature": 1.0, "top_p": 0.9}, "max_tokens": 24}}

    server = Cli.start(data_dir, [files], extra_args=args)
    try:
        register_dataset(server.http, "sums", [{"question": f"{i} + {i}?", "answer": str(2 * i)} for i in range(ROWS)])
        registered = server.http.post("/v1alpha/eval/benchmarks", json={
            "benchmark_id": "sums", "dataset_id": "sums", "scoring_functions": ["basic::equality"]})
        assert registered.status_code == 200, registered.text
        started = server.http.post("/v1alpha/eval/benchmarks/sums/jobs", json={"benchmark_config": {
            "eval_candidate": {"type": "agent", "config": agent}, "scoring_params": {}}})
        assert started.status_code == 200, started.text
        job_id = started.json()["job_id"]
        agents = server.http.get("/v1alpha/agents").json()["data"]
        (agent_id,) = [a["agent_id"] for a in agents]
        # Rows start only as earlier ones finish: this many sessions means several rows are done.
        wait_until(lambda: sum(_sessions(server, agent_id).values()) >= CONCURRENCY + 6, timeout=120,
                   message="rows generated before the kill")
        server.signal(signal.SIGKILL)
        assert server.wait_exit() == -signal.SIGKILL
    finally:
        server.close()

    before, _ = _stored(data_dir, job_id)
    assert 0 < len(before) < ROWS, f"{len(before)} rows stored at the kill: make the job longer"

    server = Cli.start(data_dir, [files], extra_args=args)
    try:
        assert server.http.get("/v1alpha/eval/benchmarks/sums").json()["dataset_id"] == "sums"  # durable
        status = wait_job(lambda: server.http.get(f"/v1alpha/eval/benchmarks/sums/jobs/{job_id}").json(),
                          timeout=240)
        assert status == {"job_id": job_id, "status": "completed"}
        result = server.http.get(f"/v1alpha/eval/benchmarks/sums/jobs/{job_id}/result").json()
        sessions = _sessions(server, agent_id)
        server.signal(signal.SIGTERM)
        assert server.wait_exit() == 0, server.log()
    finally:
        server.close()

    after, log = _stored(data_dir, job_id)
    assert f"resumed: {len(before)} of {ROWS} rows were already scored" in log
    generations = result["generations"]
    assert len(generations) == ROWS and len(result["scores"]["basic::equality"]["score_rows"]) == ROWS
    assert [after[i] for i in range(ROWS)] == generations
    assert all(isinstance(g["generated_answer"], str) for g in generations)
    assert result["scores"]["basic::equality"]["aggregated_results"]["accuracy"]["num_total"] == ROWS
    for index, generation in before.items():
        assert generations[index] == generation, f"row {index} was generated again after the restart"
        assert sessions[index] == 1, f"row {index} has {sessions[index]} generations"
    # Every row was generated; the only ones generated twice were in flight at the kill.
    assert set(sessions) == set(range(ROWS))
    assert sum(sessions.values()) - ROWS <= CONCURRENCY
    assert len({g["session_id"] for g in generations}) == ROWS
