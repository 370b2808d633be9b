"""SIGKILL in the middle of two batch inference jobs, with the real CLI: the store holds
each finished line with the progress that counts it; after a restart the job whose model
is still served resumes and completes with every line exactly once (the lines finished
before the kill are kept, not done again), and the job whose model is gone fails with
the reason."""
from __future__ import annotations

import json
import signal
from pathlib import Path

import yaml

from _batch import BatchClient, file_lines, user, write_jsonl
from _serve import Cli
from _wait import wait_until
from server.jobs import tables
from server.storage import LmdbStore

LINES = 40


def _stored(data_dir: Path, job_id: str) -> tuple[dict[int, dict], dict]:
    """(success lines by index, progress) as the killed server left them."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(*tables.TABLES)
        with store.read() as txn:
            lines = {index: json.loads(value) for index, value in tables.rows(txn, job_id, "success")}
            failed = tables.rows(txn, job_id, "error")
            progress = tables.load(txn, job_id).progress
    finally:
        store.close()
    assert not failed
    return lines, progress


def _config(path: Path, tiny_llm: Path, ids: list[str]) -> Path:
    path.write_text(yaml.safe_dump({"models": [{"id": i, "checkpoint": str(tiny_llm), "max_batch": 4} for i in ids]}))
    return path


def test_sigkill_mid_batch_then_restart_resumes_every_line_exactly_once(tmp_path, tiny_llm):
    data_dir, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    uri = write_jsonl(files / "prompts.jsonl", [{"custom_id": f"p{i}", "messages": [user(f"Tell me about {i}.")]}
                                                for i in range(LINES)])
    # Sampled without a seed: a line done twice would (almost surely) read differently.
    body = {"prompt_file_path": {"type": "uri", "value": uri}, "options": {"max_tokens": 12, "temperature": 1.0}}
    server = Cli.start(data_dir, [files], extra_args=("--config", str(_config(tmp_path / "a.yaml", tiny_llm,
                                                                                ["tiny-a", "tiny-b"]))))
    try:
        client = BatchClient(server, "rest", "batch_inference")
        kept = client.submit({**body, "model": "tiny-a"})["job_id"]
        orphan = client.submit({**body, "model": "tiny-b"})["job_id"]
        wait_until(lambda: client.status(kept).get("lines_done", 0) >= 5, timeout=120, message="a few lines done")
        server.signal(signal.SIGKILL)
        server.wait_exit()
    finally:
        server.close()

    done_before, progress = _stored(data_dir, kept)
    assert 5 <= len(done_before) < LINES, "the job should be part way"
    assert progress["lines_done"] == len(done_before)  # stored together, in one transaction

    server = Cli.start(data_dir, [files], extra_args=("--config", str(_config(tmp_path / "b.yaml", tiny_llm,
                                                                                ["tiny-a"]))))
    try:
        client = BatchClient(server, "grpc", "batch_inference")
        job = client.wait(kept, timeout=300)
        assert job["status"] == "completed", job
        assert (job["lines_total"], job["lines_done"], job["lines_failed"]) == (LINES, LINES, 0)
        results = file_lines(job, "success_file_path")
        assert [r["custom_id"] for r in results] == [f"p{i}" for i in range(LINES)]  # each once, in order
        for index, line in done_before.items():
            assert results[index] == line
        assert client.outputs(kept, page_size=25) == results

        gone = client.wait(orphan)
        assert gone["status"] == "failed" and "'tiny-b' is no longer served" in gone["error"], gone
    finally:
        server.close()
