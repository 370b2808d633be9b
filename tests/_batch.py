"""The draft's batch job APIs through the dual-protocol test client (tests/_client.py), by
their RPC names, and the input files the tests write."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _client import Client
from _wait import wait_job

SERVICES = {
    "batch_inference": "llamastack.batchinference.v0.BatchInferenceService",
    "batch_reward_scoring": "llamastack.batchrewardscoring.v0.BatchRewardScoringService",
    "synthetic_data_gen": "llamastack.syntheticdatagen.v0.SyntheticDataGenService",
}
RPCS = {  # api -> (submit, status, cancel, outputs)
    "batch_inference": ("SubmitBatchInferenceJob", "GetBatchInferenceJobStatus", "CancelBatchInferenceJob",
                        "ListBatchInferenceJobOutputs"),
    "batch_reward_scoring": ("SubmitBatchRewardScoringJob", "GetBatchRewardScoringJobStatus",
                             "CancelBatchRewardScoringJob", "ListBatchRewardScoringJobOutputs"),
    "synthetic_data_gen": ("SubmitSyntheticDataGenJob", "GetSyntheticDataGenJobStatus", "CancelSyntheticDataGenJob",
                           "ListSyntheticDataGenJobOutputs"),
}
RESULTS = {"batch_inference": "results", "batch_reward_scoring": "results", "synthetic_data_gen": "data_points"}


def user(text: str) -> dict:
    return {"role": "user", "text": text}


def answer(text: str) -> dict:
    return {"text": text, "finish_reason": "stop"}


def write_jsonl(path: Path, lines: list[Any]) -> str:
    """Lines as given (str: written raw, anything else as JSON); the file:// URI."""
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path.as_uri()


class BatchClient:
    def __init__(self, server, protocol: str, api: str):
        self.protocol, self.api = protocol, api
        self._client = Client(server, protocol)

    def call(self, rpc: str, body: dict) -> dict:
        return self._client.call(f"{SERVICES[self.api]}/{rpc}", body)

    def submit(self, body: dict) -> dict:
        return self.call(RPCS[self.api][0], body)

    def status(self, job_id: str) -> dict:
        return self.call(RPCS[self.api][1], {"job_id": job_id})

    def cancel(self, job_id: str) -> dict:
        return self.call(RPCS[self.api][2], {"job_id": job_id})

    def outputs(self, job_id: str, file: str = "success", page_size: int | None = None) -> list[dict]:
        """Every line of one output file through the API, page after page."""
        found, token = [], None
        while True:
            body: dict[str, Any] = {"job_id": job_id, "file": file}
            if page_size is not None:
                body["page_size"] = page_size
            if token is not None:
                body["page_token"] = token
            page = self.call(RPCS[self.api][3], body)
            found += page["errors" if file == "error" else RESULTS[self.api]]
            token = page.get("next_page_token")
            if token is None:
                return found

    def wait(self, job_id: str, timeout: float = 120) -> dict:
        return wait_job(lambda: self.status(job_id), timeout=timeout)


def file_lines(job: dict, key: str) -> list[dict]:
    """The JSON lines of the job's success_file_path / error_file_path."""
    path = job[key]["value"] if isinstance(job[key], dict) else job[key]
    return [json.loads(line) for line in Path(path).read_text().splitlines()]
