"""SIGKILL of the server mid-training, with the real CLI: after a restart the job resumes
from its last checkpoint (its step does not start again at zero) and completes, and the
checkpoint saved before the kill is still served as a model."""
from __future__ import annotations

import signal

import yaml

from _client import Client
from _serve import Cli
from _training import dialog_rows, finished, register_dataset, sft, status, training_config
from _wait import wait_until
from server.jobs import tables
from server.storage import LmdbStore

EPOCHS, STEPS = 3, 6


def _models(client: Client) -> set[str]:
    return {m["identifier"] for m in client.call("llamastack.models.v1.ModelsService/ListModels")["data"]}


def _stored(data_dir, job_id: str) -> tuple[list[str], list[int]]:
    """What the killed server had stored: the job's log, and the steps of its checkpoints."""
    store = LmdbStore(data_dir / "store")
    try:
        store.open_tables(*tables.TABLES)
        with store.read() as txn:
            return ([entry.message for entry in tables.logs(txn, job_id)],
                    [a.metadata["step"] for a in tables.artifacts(txn, job_id)])
    finally:
        store.close()


def test_sigkill_mid_training_resumes_from_the_last_checkpoint(tmp_path, tiny_llm):
    data_dir, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"models": [{"id": "tiny-llama", "checkpoint": str(tiny_llm)}]}))
    args = ("--config", str(config))

    server = Cli.start(data_dir, [files], extra_args=args)
    try:
        client = Client(server, "rest")
        register_dataset(client, "sentences", dialog_rows(copies=STEPS))
        sft(client, "resume", "tiny-llama", training_config("sentences", epochs=EPOCHS, steps=STEPS, batch_size=1))
        first = wait_until(lambda: status(client, "resume")["checkpoints"], timeout=300, interval=0.1,
                           message="the first checkpoint")
        server.signal(signal.SIGKILL)
        assert server.wait_exit() == -signal.SIGKILL
    finally:
        server.close()
    assert first[0]["epoch"] == 1
    killed_log, saved_steps = _stored(data_dir, "resume")
    assert "completed" not in killed_log and len(saved_steps) < EPOCHS, "the job ended before the kill"
    saved_step = saved_steps[-1]  # a checkpoint per epoch of STEPS steps

    server = Cli.start(data_dir, [files], extra_args=args)
    try:
        client = Client(server, "grpc")
        # Served again after the restart (registered then, if the kill came while its model loaded).
        wait_until(lambda: first[0]["identifier"] in _models(client), timeout=120, message="the epoch 1 model")
        job = finished(client, "resume")
        assert job["status"] == "completed", job
        assert [c["epoch"] for c in job["checkpoints"]] == list(range(1, EPOCHS + 1))
        progress = job["resources_allocated"]["progress"]
        assert progress["resumed_from_step"] == saved_step and progress["step"] == EPOCHS * STEPS
        log = _stored(data_dir, "resume")[0][len(killed_log):]
        steps_after = [int(line.split()[1].split("/")[0]) for line in log if line.startswith("step ")]
        assert f"resuming from checkpoint-{saved_step} (step {saved_step})" in log, log
        assert steps_after[0] == saved_step + 1, steps_after  # not from zero
        assert {c["identifier"] for c in job["checkpoints"]} <= _models(client)
    finally:
        server.close()
