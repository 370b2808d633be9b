"""What the training tests share: requests of both training APIs, datasets, and waits."""
from __future__ import annotations

import base64
import json

from _client import Client
from _wait import wait_job, wait_until

POST_TRAINING = "llamastack.posttraining.v1alpha.PostTrainingService"
FINE_TUNING = "llamastack.finetuning.v0.FineTuningService"
DATASETS = "llamastack.datasets.v1beta.DatasetsService"
JOB_TIMEOUT = 300  # a few tiny steps, after the trainer's imports (slow on a busy machine)

SENTENCES = [
    ("Complete: The quick brown", "fox jumps over the lazy dog."),
    ("Complete: A stitch in", "time saves nine stitches today."),
    ("Complete: Every good boy", "deserves fudge and a warm bed."),
]


def dialog_rows(pairs=SENTENCES, copies: int = 1) -> list[dict]:
    return [{"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]}
            for _ in range(copies) for prompt, answer in pairs]


def preference_rows() -> list[dict]:
    return [{"prompt": prompt, "chosen": answer, "rejected": "no idea"} for prompt, answer in SENTENCES]


def register_dataset(client: Client, dataset_id: str, rows: list[dict]) -> None:
    client.call(f"{DATASETS}/RegisterDataset", {"dataset_id": dataset_id, "purpose": "post-training/messages",
                                                "source": {"type": "rows", "rows": rows}})


def training_config(dataset_id: str, *, epochs: int = 2, steps: int = 2, batch_size: int = 2, lr: float = 1e-3,
                    validation: str | None = None, data_format: str = "dialog", **extra) -> dict:
    data_config = {"dataset_id": dataset_id, "batch_size": batch_size, "shuffle": True, "data_format": data_format}
    if validation:
        data_config["validation_dataset_id"] = validation
    return {"n_epochs": epochs, "max_steps_per_epoch": steps, "gradient_accumulation_steps": 1,
            "max_validation_steps": 1, "dtype": "fp32", "data_config": data_config,
            "optimizer_config": {"optimizer_type": "adamw", "lr": lr, "weight_decay": 0.0, "num_warmup_steps": 0},
            **extra}


LORA = {"type": "LoRA", "lora_attn_modules": ["q_proj", "v_proj"], "apply_lora_to_mlp": True,
        "apply_lora_to_output": False, "rank": 8, "alpha": 16}


def sft(client: Client, job_uuid: str, model: str, config: dict, algorithm: dict | None = None) -> dict:
    body = {"job_uuid": job_uuid, "model": model, "training_config": config, "hyperparam_search_config": {},
            "logger_config": {}}
    if algorithm is not None:
        body["algorithm_config"] = algorithm
    return client.call(f"{POST_TRAINING}/SupervisedFineTune", body)


def status(client: Client, job_uuid: str) -> dict:
    return client.call(f"{POST_TRAINING}/GetTrainingJobStatus", {"job_uuid": job_uuid})


def finished(client: Client, job_uuid: str) -> dict:
    return wait_job(lambda: status(client, job_uuid), timeout=JOB_TIMEOUT, interval=0.2)


def progress(client: Client, job_uuid: str) -> dict:
    return status(client, job_uuid)["resources_allocated"].get("progress", {})


def wait_step(client: Client, job_uuid: str, step: int = 1) -> dict:
    return wait_until(lambda: progress(client, job_uuid).get("step", 0) >= step and progress(client, job_uuid),
                      timeout=JOB_TIMEOUT, interval=0.1, message=f"step {step} of {job_uuid}")


def chat(client: Client, model: str, prompt: str, max_tokens: int = 8) -> str:
    answer = client.call("llamastack.inference.v0.InferenceService/ChatCompletion", {
        "model": model, "messages": [{"role": "user", "text": prompt}],
        "options": {"temperature": 0.0, "max_tokens": max_tokens}})
    return answer["candidates"][0].get("text", "")


def data_uri(lines: list[dict]) -> str:
    payload = "\n".join(json.dumps(line) for line in lines).encode()
    return "data:application/jsonl;base64," + base64.b64encode(payload).decode()


def training_items(pairs=SENTENCES, copies: int = 1) -> list[dict]:
    return [{"dialog": [{"role": "user", "text": prompt}, {"text": answer}], "keep_loss": [False, True]}
            for _ in range(copies) for prompt, answer in pairs]
