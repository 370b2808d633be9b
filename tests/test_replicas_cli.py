"""The whole: PostgreSQL started by the suite, two `serve` processes (replicas) on it, a
client alternating between them (REST on one, gRPC on the other): dataset appends, an agent
session whose turns land on both, and a batch job whose replica is SIGKILLed mid-run, which
the other replica takes over once its lease expires and finishes with every line once."""
from __future__ import annotations

import signal

import yaml

from _batch import BatchClient, user, write_jsonl
from _client import Client
from _serve import Cli
from _wait import wait_until

DATASETS, DATASETIO = "llamastack.datasets.v1beta.DatasetsService/", "llamastack.datasetio.v1beta.DatasetIOService/"
AGENTS = "llamastack.agents.v1alpha.AgentsService/"
LINES = 24


def test_two_replicas_share_datasets_sessions_and_jobs(postgres, tmp_path, tiny_llm):
    files = tmp_path / "files"
    files.mkdir()
    config = tmp_path / "replica.yaml"
    config.write_text(yaml.safe_dump({
        "storage": "postgres", "postgres_dsn": postgres.new_database(), "job_lease_seconds": 3,
        "models": [{"id": "tiny-llama", "checkpoint": str(tiny_llm), "max_batch": 4}]}))
    # Both start at once (each loads the model), then each is waited for.
    replicas = Cli.start_together([tmp_path / "a", tmp_path / "b"], [files], extra_args=("--config", str(config)))
    try:
        a, b = Client(replicas[0], "rest", timeout=60), Client(replicas[1], "grpc", timeout=60)

        a.call(DATASETS + "RegisterDataset", {"dataset_id": "alternating", "purpose": "eval/question-answer",
                                              "source": {"type": "rows", "rows": [{"n": 0}]}})
        for n, client in enumerate([b, a, b], start=1):
            client.call(DATASETIO + "AppendRows", {"dataset_id": "alternating", "rows": [{"n": n}]})
        for client in (a, b):
            rows = client.call(DATASETIO + "IterRows", {"dataset_id": "alternating"})["data"]
            assert [int(row["n"]) for row in rows] == [0, 1, 2, 3]

        agent = a.call(AGENTS + "CreateAgent", {"agent_config": {
            "model": "tiny-llama", "instructions": "Be terse.",
            "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 8}}})["agent_id"]
        session = b.call(AGENTS + "CreateAgentSession", {"agent_id": agent, "session_name": "s"})["session_id"]
        turn_ids = []
        for client, text in ((a, "hello"), (b, "again")):
            events = client.stream(AGENTS + "CreateAgentTurn", {
                "agent_id": agent, "session_id": session, "messages": [{"role": "user", "content": text}]})
            turn_ids.append(events[-1]["event"]["payload"]["turn"]["turn_id"])
        for client in (a, b):
            stored = client.call(AGENTS + "GetAgentSession", {"agent_id": agent, "session_id": session})
            assert [turn["turn_id"] for turn in stored["turns"]] == turn_ids

        uri = write_jsonl(files / "prompts.jsonl", [{"custom_id": f"p{i}", "messages": [user(f"Count to {i}.")]}
                                                    for i in range(LINES)])
        submitter, survivor = BatchClient(replicas[0], "rest", "batch_inference"), \
            BatchClient(replicas[1], "grpc", "batch_inference")
        job_id = submitter.submit({"model": "tiny-llama", "prompt_file_path": {"type": "uri", "value": uri},
                                   "options": {"max_tokens": 12}})["job_id"]
        wait_until(lambda: survivor.status(job_id).get("lines_done", 0) >= 3, timeout=120, message="lines done")
        replicas[0].signal(signal.SIGKILL)
        replicas[0].wait_exit()
        job = survivor.wait(job_id, timeout=300)
        assert job["status"] == "completed", job
        assert (job["lines_total"], job["lines_done"], job["lines_failed"]) == (LINES, LINES, 0)
        results = survivor.outputs(job_id)
        assert [r["custom_id"] for r in results] == [f"p{i}" for i in range(LINES)]  # each once, in order
    finally:
        for replica in replicas:
            replica.close()
