"""Training benchmark, measured side by side in one run:

  (a) tokens/s of a service SFT job (POST /v1alpha/post-training/supervised-fine-tune: the
      trainer subprocess, its progress, log and checkpoint going through the job framework)
      against a plain script doing the same training in this process: the same library
      (transformers' Trainer), model, data, token sequences and settings (full fine-tuning,
      fp32, AdamW, batch size, steps, one checkpoint at the end). Tokens/s is the tokens of
      the training sequences over the Trainer's own train_runtime, in both arms;
  (b) the time from submission to the job's first training step (worker start, imports,
      model and data loading), and from submission to completed;
  (c) cancel latency: how long the cancel call takes to answer (it answers once the
      trainer has stopped) while a job trains.

    .venv/bin/python bench/training.py [--steps 40] [--batch 4] [--rounds 2] [--size tiny|bench]

Arms run interleaved (service, plain, service, plain...) so a slow spell of the machine
falls on both; figures are medians with their spread (bench/_rounds.py).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository in place of this folder on sys.path: bench/datasets.py would hide Hugging Face's datasets.
sys.path[:1] = [str(ROOT), str(ROOT / "clients" / "python")]

from bench._rounds import figure, interleaved, ratio  # noqa: E402
from server.config import ServerConfig  # noqa: E402
from server.embedded import EmbeddedServer  # noqa: E402
from server.inference import demo_model  # noqa: E402

MODEL = "bench-llm"
LR = 1e-4


def dialogs(count: int) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Question {i}: what is {i} plus {i + 1}?"},
                          {"role": "assistant", "content": f"{i} plus {i + 1} is {2 * i + 1}."}]}
            for i in range(count)]


def service_arm(server: EmbeddedServer, steps: int, batch: int, counter: list[int]) -> dict[str, float]:
    counter[0] += 1
    job = f"bench-sft-{counter[0]}"
    response = server.http.post("/v1alpha/post-training/supervised-fine-tune", json={
        "job_uuid": job, "model": MODEL, "hyperparam_search_config": {}, "logger_config": {},
        "training_config": {
            "n_epochs": 1, "max_steps_per_epoch": steps, "gradient_accumulation_steps": 1, "dtype": "fp32",
            "data_config": {"dataset_id": "bench", "batch_size": batch, "shuffle": False, "data_format": "dialog"},
            "optimizer_config": {"optimizer_type": "adamw", "lr": LR, "weight_decay": 0.0, "num_warmup_steps": 0}}})
    assert response.status_code == 200, response.text
    record = server.app.jobs.get(job)
    while not record.state.terminal:
        time.sleep(0.2)  # a benchmark's own pacing: the job is minutes long
        record = server.app.jobs.get(job)
    assert record.state.value == "completed", record
    progress = record.progress
    return {"tokens_per_s": progress["tokens"] / progress["train_runtime"],
            "first_step_s": progress["first_step_at"] - record.created_at,
            "total_s": record.finished_at - record.created_at}


def plain_arm(checkpoint: str, steps: int, batch: int, work: Path) -> dict[str, float]:
    """The same training as a user's script would write it with transformers alone."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, Trainer, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    rows = dialogs(steps * batch)
    items = []
    for row in rows:
        ids = tokenizer(tokenizer.apply_chat_template(row["messages"], tokenize=False),
                        add_special_tokens=False)["input_ids"]
        items.append({"input_ids": ids, "labels": ids})

    def collate(batch_items):
        width = max(len(i["input_ids"]) for i in batch_items)
        pad = tokenizer.pad_token_id
        return {"input_ids": torch.tensor([i["input_ids"] + [pad] * (width - len(i["input_ids"]))
                                           for i in batch_items]),
                "labels": torch.tensor([i["labels"] + [-100] * (width - len(i["labels"])) for i in batch_items]),
                "attention_mask": torch.tensor([[1] * len(i["input_ids"]) + [0] * (width - len(i["input_ids"]))
                                                for i in batch_items])}

    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
    args = TrainingArguments(output_dir=str(work), num_train_epochs=1, per_device_train_batch_size=batch,
                             learning_rate=LR, save_strategy="epoch", logging_steps=1, report_to=[],
                             train_sampling_strategy="sequential", use_cpu=not torch.cuda.is_available(),
                             disable_tqdm=True, dataloader_num_workers=0, remove_unused_columns=False)
    trainer = Trainer(model=model, args=args, train_dataset=items, data_collator=collate,
                      processing_class=tokenizer, optimizer_cls_and_kwargs=(torch.optim.AdamW, {"lr": LR}))
    trainer.remove_callback(PrinterCallback)  # as the service's trainer does: no printing per step
    output = trainer.train()
    tokens = sum(len(i["input_ids"]) for i in items)
    return {"tokens_per_s": tokens / output.metrics["train_runtime"]}


def cancel_latency(server: EmbeddedServer) -> float:
    job = "bench-cancel"
    response = server.http.post("/v1alpha/post-training/supervised-fine-tune", json={
        "job_uuid": job, "model": MODEL, "hyperparam_search_config": {}, "logger_config": {},
        "training_config": {"n_epochs": 1, "max_steps_per_epoch": 10_000, "gradient_accumulation_steps": 1,
                            "dtype": "fp32", "data_config": {"dataset_id": "bench", "batch_size": 1,
                                                             "shuffle": False, "data_format": "dialog"}}})
    assert response.status_code == 200, response.text
    while server.app.jobs.get(job).progress.get("step", 0) < 2:
        time.sleep(0.05)
    started = time.perf_counter()
    cancelled = server.http.post("/v1alpha/post-training/job/cancel", json={"job_uuid": job})
    elapsed = time.perf_counter() - started
    assert cancelled.status_code == 200, cancelled.text
    assert server.app.jobs.get(job).state.value == "cancelled"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", choices=sorted(demo_model.SIZES), default="tiny")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-training-") as scratch:
        root = Path(scratch)
        checkpoint = demo_model.build(ROOT / ".build" / "bench-models" / f"{options.size}-llama", size=options.size)
        (root / "files").mkdir()
        server = EmbeddedServer(ServerConfig(host="127.0.0.1", grpc_port=0, http_port=0, data_dir=root / "data",
                                             allowed_roots=[root / "files"], default_models=False,
                                             models=[{"id": MODEL, "checkpoint": str(checkpoint)}]))
        try:
            registered = server.http.post("/v1beta/datasets", json={
                "dataset_id": "bench", "purpose": "post-training/messages",
                "source": {"type": "rows", "rows": dialogs(max(options.steps * options.batch, 10_000))}})
            assert registered.status_code == 200, registered.text
            counter = [0]
            plain_runs = [0]

            def plain() -> dict[str, float]:
                plain_runs[0] += 1
                return plain_arm(str(checkpoint), options.steps, options.batch, root / f"plain-{plain_runs[0]}")

            results = interleaved({"service": lambda: service_arm(server, options.steps, options.batch, counter),
                                   "plain": plain}, options.rounds)
            cancel = cancel_latency(server)
        finally:
            server.stop()

    service, plain_result = results["service"], results["plain"]
    print(f"model {options.size} ({checkpoint}), full SFT, fp32, batch {options.batch}, {options.steps} steps, "
          f"{options.rounds} rounds (median [spread])")
    speed = ratio(service["tokens_per_s"], plain_result["tokens_per_s"])
    print(f"(a) tokens/s   service {figure(service['tokens_per_s'])}   "
          f"plain script {figure(plain_result['tokens_per_s'])}   ratio service/plain {speed}")
    print(f"(b) submit -> first step {figure(service['first_step_s'], digits=2)} s;"
          f"   submit -> completed {figure(service['total_s'], digits=2)} s")
    print(f"(c) cancel answered after {cancel:.2f} s (the trainer stopped)")


if __name__ == "__main__":
    main()
