"""The training itself, in the trainer subprocess: the model (full, LoRA through peft,
QAT through torchao's fake quantization), Hugging Face's Trainer for SFT and TRL's
DPOTrainer for DPO, one checkpoint per epoch, progress and logs over the job channel.

Checkpoints are the Trainer's own (model or adapter, tokenizer, optimizer, scheduler, RNG
states, trainer state) in <work dir>/checkpoints/checkpoint-<step>; `metrics.json` is
written last, so a checkpoint without it was cut short and is neither resumed from nor
served. A resumed run continues from the newest complete checkpoint.
"""
from __future__ import annotations

import copy
import math
import random
import time
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from server.jobs.child import JobChannel
from server.training import checkpoints, data, tokens
from server.training.plan import TrainingPlan


def train(plan: TrainingPlan, channel: JobChannel) -> None:
    """Train as the plan says, from the newest complete checkpoint if there is one; the
    outcome goes to the job's progress (steps, train_runtime, tokens)."""
    transformers.logging.set_verbosity_error()  # warnings about defaults would flood the job's log
    transformers.logging.disable_progress_bar()
    work_dir = channel.work_dir
    checkpoints.drop_incomplete(work_dir)
    done = checkpoints.complete(work_dir)
    resume = done[-1] if done else None
    train_examples = data.read_examples(work_dir / data.TRAIN_FILE)
    validation_examples = data.read_examples(work_dir / data.VALIDATION_FILE)

    torch.manual_seed(plan.seed)
    tokenizer = AutoTokenizer.from_pretrained(plan.adapter or plan.checkpoint)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.chat_template is None:
        raise ValueError(f"the model {plan.model_id!r} has no chat template: its tokenizer cannot render dialogs")
    model = _model(plan)
    rows_per_epoch = plan.max_steps_per_epoch * plan.batch_size * plan.gradient_accumulation_steps
    train_examples = _limit(train_examples, rows_per_epoch, plan.seed if plan.shuffle else None)
    validation_examples = _limit(validation_examples, plan.max_validation_steps * plan.batch_size, None)

    args = _arguments(plan, work_dir, has_validation=bool(validation_examples))
    if plan.method == "dpo":
        trainer, token_count = _dpo_trainer(plan, model, tokenizer, args, train_examples, validation_examples)
    else:
        trainer, token_count = _sft_trainer(plan, model, tokenizer, args, train_examples, validation_examples)
    trainer.remove_callback(PrinterCallback)  # the Reporter logs each step once
    trainer.add_callback(Reporter(channel, plan))
    if resume is not None:
        channel.log(f"resuming from {resume.name} (step {checkpoints.step_of(resume)})")
        channel.report(resumed_from_step=checkpoints.step_of(resume))
    output = trainer.train(resume_from_checkpoint=str(resume) if resume is not None else None)
    runtime = float(output.metrics.get("train_runtime", 0.0))
    channel.log(f"training finished: {trainer.state.global_step} steps in {runtime:.1f}s")
    channel.report(steps=trainer.state.global_step, train_runtime=runtime, tokens=token_count * plan.epochs)


def _limit(examples: list[dict], count: int, seed: int | None) -> list[dict]:
    """At most count examples (0: all); a seeded random pick of them when shuffling, so
    that a resumed run takes the same ones."""
    if not count or count >= len(examples):
        return examples
    if seed is not None:
        examples = random.Random(seed).sample(examples, len(examples))
    return examples[:count]


# ---------------------------------------------------------------- the model


def _model(plan: TrainingPlan):
    model = AutoModelForCausalLM.from_pretrained(plan.checkpoint, dtype=torch.float32)
    if plan.activation_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if plan.adapter:
        from peft import PeftModel

        # A LoRA checkpoint: LoRA trains its adapter further (a new adapter over the merged
        # weights could not be served over the base); other algorithms train the merged model.
        model = PeftModel.from_pretrained(model, plan.adapter, is_trainable=plan.algorithm == "lora")
        if plan.algorithm != "lora":
            model = model.merge_and_unload()
    elif plan.algorithm == "lora":
        from peft import LoraConfig, get_peft_model

        lora = plan.lora
        model = get_peft_model(model, LoraConfig(r=lora.rank, lora_alpha=lora.alpha,
                                                 target_modules=lora.target_modules(), use_dora=lora.dora,
                                                 lora_dropout=0.0, task_type="CAUSAL_LM"))
    if plan.algorithm == "lora" and plan.activation_checkpointing:
        model.enable_input_require_grads()
    if plan.algorithm == "qat":
        _prepare_qat(model, plan)
    return model


def _prepare_qat(model, plan: TrainingPlan) -> None:
    """torchao's QAT prepare step: linear layers fake-quantized (int4 weights in groups of
    group_size, and for 8da4w int8 per-token asymmetric activations), so that training
    learns weights that survive that quantization."""
    from torchao.quantization import quantize_
    from torchao.quantization.qat import IntxFakeQuantizeConfig, QATConfig

    weights = IntxFakeQuantizeConfig(torch.int4, group_size=plan.qat.group_size)
    activations = (IntxFakeQuantizeConfig(torch.int8, "per_token", is_symmetric=False)
                   if plan.qat.quantizer == "int8_dynamic_activation_int4_weight" else None)
    quantize_(model, QATConfig(activation_config=activations, weight_config=weights, step="prepare"))


# ---------------------------------------------------------------- the trainers


def _arguments(plan: TrainingPlan, work_dir: Path, has_validation: bool) -> dict[str, Any]:
    return dict(
        output_dir=str(checkpoints.root(work_dir)), num_train_epochs=plan.epochs,
        per_device_train_batch_size=plan.batch_size, per_device_eval_batch_size=plan.batch_size,
        gradient_accumulation_steps=plan.gradient_accumulation_steps, learning_rate=plan.optimizer.lr,
        weight_decay=plan.optimizer.weight_decay, warmup_steps=plan.optimizer.warmup_steps,
        save_strategy="epoch", eval_strategy="epoch" if has_validation else "no", logging_strategy="steps",
        logging_steps=1, report_to=[], seed=plan.seed, data_seed=plan.seed,
        train_sampling_strategy="random" if plan.shuffle else "sequential",
        bf16=plan.dtype == "bf16", fp16=plan.dtype == "fp16", use_cpu=not torch.cuda.is_available(),
        gradient_checkpointing=plan.activation_checkpointing, disable_tqdm=True, dataloader_num_workers=0,
        remove_unused_columns=False)


def _optimizer(plan: TrainingPlan):
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[plan.optimizer.type]
    return kind, {"lr": plan.optimizer.lr, "weight_decay": plan.optimizer.weight_decay}


def _sft_trainer(plan, model, tokenizer, args, train_examples, validation_examples):
    def encode(examples):
        return tokens.tokenize_all(tokenizer, examples, plan.train_on_input, plan.max_seq_length, plan.packed)

    train_items, validation_items = encode(train_examples), encode(validation_examples)
    trainer = Trainer(model=model, args=TrainingArguments(**args),
                      data_collator=tokens.Collator(tokenizer.pad_token_id), train_dataset=train_items,
                      eval_dataset=validation_items or None, processing_class=tokenizer,
                      optimizer_cls_and_kwargs=_optimizer(plan))
    return trainer, tokens.trained_tokens(train_items)


def _dpo_trainer(plan, model, tokenizer, args, train_examples, validation_examples):
    from trl import DPOConfig, DPOTrainer

    from datasets import Dataset

    def conversational(examples):
        return Dataset.from_list([{"prompt": [{"role": "user", "content": e["prompt"]}],
                                   "chosen": [{"role": "assistant", "content": e["chosen"]}],
                                   "rejected": [{"role": "assistant", "content": e["rejected"]}]}
                                  for e in examples])

    reference = copy.deepcopy(model).eval()  # the policy as it starts: DPO's reference
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    config = DPOConfig(**args, beta=plan.dpo.beta, loss_type=[plan.dpo.loss_type], max_length=plan.max_seq_length)
    trainer = DPOTrainer(model=model, ref_model=reference, args=config, train_dataset=conversational(train_examples),
                         eval_dataset=conversational(validation_examples) if validation_examples else None,
                         processing_class=tokenizer)
    trainer.optimizer_cls_and_kwargs = _optimizer(plan)
    token_count = sum(len(row["prompt_ids"]) * 2 + len(row["chosen_ids"]) + len(row["rejected_ids"])
                      for row in trainer.train_dataset)
    return trainer, token_count


# ---------------------------------------------------------------- progress and checkpoints


class Reporter(TrainerCallback):
    """Step, epoch and loss to the job's progress and log; a checkpoint's metrics written
    beside it and sent as an artifact."""

    def __init__(self, channel: JobChannel, plan: TrainingPlan):
        self.channel = channel
        self.plan = plan
        self.epoch_losses: list[float] = []
        self.validation_loss: float | None = None
        self.tokens_per_epoch = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.channel.report(total_steps=state.max_steps, epochs=self.plan.epochs)
        self.channel.log(f"training {self.plan.model_id} ({self.plan.method}, {self.plan.algorithm}): "
                         f"{state.max_steps} steps over {self.plan.epochs} epoch(s)")

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" in logs:
            loss = float(logs["loss"])
            self.epoch_losses.append(loss)
            counters = {"step": state.global_step, "epoch": round(state.epoch or 0, 4), "loss": loss}
            if "first_step_at" not in self.channel.progress:
                counters["first_step_at"] = time.time()  # the bench's time from submission to training
            self.channel.report(**counters)
            self.channel.log(f"step {state.global_step}/{state.max_steps} epoch {state.epoch:.2f} loss {loss:.4f} "
                             f"lr {logs.get('learning_rate', 0):.3g}")
        if "eval_loss" in logs:
            self.validation_loss = float(logs["eval_loss"])
            self.channel.report(validation_loss=self.validation_loss)
            self.channel.log(f"validation at step {state.global_step}: loss {self.validation_loss:.4f}")

    def on_save(self, args, state, control, **kwargs):
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        train_loss = sum(self.epoch_losses) / len(self.epoch_losses) if self.epoch_losses else float("nan")
        reference = self.validation_loss if self.validation_loss is not None else train_loss
        metrics = {"epoch": int(round(state.epoch or 0)), "step": state.global_step, "train_loss": train_loss,
                   "validation_loss": self.validation_loss, "perplexity": _perplexity(reference)}
        checkpoints.write_metrics(path, metrics)  # last: the checkpoint is complete
        self.channel.log(f"checkpoint saved: {path.name} (epoch {metrics['epoch']}, train loss {train_loss:.4f})")
        self.channel.add_artifact("checkpoint", str(path), **metrics)
        self.epoch_losses = []


def _perplexity(loss: float) -> float | None:
    if loss is None or math.isnan(loss):
        return None
    return math.exp(min(loss, 700.0))
