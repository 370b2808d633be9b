"""What a training job does, as plain data: the one description both front doors (the
2025 post-training API and the draft's fine-tuning API) build from their requests, that
the job stores as its parameters and that the trainer subprocess reads back.

Every check that can be made before training starts is made here, each failure an
InvalidArgument naming the request field (the front door says which field that is), so
that a job never fails later for a reason known at submission.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.errors import FailedPrecondition, InvalidArgument

METHODS = ("sft", "dpo")
ALGORITHMS = ("full", "lora", "qat")
OPTIMIZERS = ("adam", "adamw", "sgd")
DTYPES = ("bf16", "fp32", "fp16")
# TRL's DPO losses that the 2025 enum names; kto_pair left TRL (KTO has its own trainer).
DPO_LOSSES = ("sigmoid", "hinge", "ipo")
# torchao QAT recipes by the names torchtune and the reference server use, and the short
# names of torchao's configs: int8 dynamic activations with int4 grouped weights, and int4
# grouped weights only.
QUANTIZERS = {
    "Int8DynActInt4WeightQATQuantizer": "int8_dynamic_activation_int4_weight",
    "int8_dynamic_activation_int4_weight": "int8_dynamic_activation_int4_weight",
    "8da4w": "int8_dynamic_activation_int4_weight",
    "Int4WeightOnlyQATQuantizer": "int4_weight_only",
    "int4_weight_only": "int4_weight_only",
    "4w": "int4_weight_only",
}
# LoRA's attention modules by torchtune's names (as the spec's examples use them) and the
# Hugging Face names of the same projections.
ATTENTION_MODULES = {"q_proj": "q_proj", "k_proj": "k_proj", "v_proj": "v_proj", "output_proj": "o_proj",
                     "o_proj": "o_proj"}
MLP_MODULES = ("gate_proj", "up_proj", "down_proj")
OUTPUT_MODULE = "lm_head"
DEFAULT_MAX_SEQ_LENGTH = 1024


@dataclass
class LoraSettings:
    rank: int
    alpha: int
    attention_modules: list[str]  # Hugging Face names
    mlp: bool = False
    output: bool = False
    dora: bool = False

    def target_modules(self) -> list[str]:
        return [*self.attention_modules, *(MLP_MODULES if self.mlp else ()), *((OUTPUT_MODULE,) if self.output else ())]


@dataclass
class QatSettings:
    quantizer: str  # a value of QUANTIZERS
    group_size: int


@dataclass
class DpoSettings:
    beta: float
    loss_type: str


@dataclass
class OptimizerSettings:
    type: str = "adamw"
    lr: float = 1e-4
    weight_decay: float = 0.0
    warmup_steps: int = 0


@dataclass
class TrainingPlan:
    method: str  # sft | dpo
    model_id: str  # the model trained (a served model's id)
    checkpoint: str  # its checkpoint (a folder, or a base model's folder when adapter is set)
    algorithm: str = "full"  # full | lora | qat
    adapter: str | None = None  # a LoRA adapter the model is (merged into the base before training)
    lora: LoraSettings | None = None
    qat: QatSettings | None = None
    dpo: DpoSettings | None = None
    epochs: int = 1
    max_steps_per_epoch: int = 0  # 0: the whole dataset each epoch
    gradient_accumulation_steps: int = 1
    max_validation_steps: int = 0  # 0: the whole validation set
    batch_size: int = 1
    shuffle: bool = True
    packed: bool = False
    train_on_input: bool = False
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)
    activation_checkpointing: bool = False
    dtype: str = "bf16"
    seed: int = 42
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainingPlan:
        values = dict(values)
        for name, kind in (("lora", LoraSettings), ("qat", QatSettings), ("dpo", DpoSettings)):
            if values.get(name) is not None:
                values[name] = kind(**values[name])
        values["optimizer"] = OptimizerSettings(**values.get("optimizer", {}))
        return cls(**values)


# ---------------------------------------------------------------- checks shared by both front doors


def positive(value: int | float, field_name: str, *, allow_zero: bool = False) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(field_name, f"must be a finite number, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidArgument(field_name, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")


def check_plan(plan: TrainingPlan, fields: Mapping[str, str], cuda: bool) -> None:
    """Check the plan's values; `fields` maps each plan setting to the request field that
    set it (settings the request did not set are left out: they hold defaults)."""
    def where(name: str) -> str:
        return fields.get(name, name)

    positive(plan.epochs, where("epochs"))
    positive(plan.max_steps_per_epoch, where("max_steps_per_epoch"), allow_zero=True)
    positive(plan.gradient_accumulation_steps, where("gradient_accumulation_steps"))
    positive(plan.max_validation_steps, where("max_validation_steps"), allow_zero=True)
    positive(plan.batch_size, where("batch_size"))
    positive(plan.optimizer.lr, where("optimizer.lr"))
    positive(plan.optimizer.weight_decay, where("optimizer.weight_decay"), allow_zero=True)
    positive(plan.optimizer.warmup_steps, where("optimizer.warmup_steps"), allow_zero=True)
    positive(plan.max_seq_length, where("max_seq_length"))
    if plan.seed < 0:
        raise InvalidArgument(where("seed"), f"must be >= 0, got {plan.seed}")
    if plan.optimizer.type not in OPTIMIZERS:
        raise InvalidArgument(where("optimizer.type"),
                              f"unknown optimizer {plan.optimizer.type!r}; expected one of {', '.join(OPTIMIZERS)}")
    if plan.dtype not in DTYPES:
        raise InvalidArgument(where("dtype"), f"unknown dtype {plan.dtype!r}; expected one of {', '.join(DTYPES)}")
    if plan.dtype == "fp16" and not cuda:
        raise FailedPrecondition(f"{where('dtype')}: fp16 training needs a CUDA device and this server has none; "
                                 "use bf16 or fp32")
    if plan.algorithm not in ALGORITHMS:
        raise InvalidArgument(where("algorithm"), f"unknown algorithm {plan.algorithm!r}")
    if plan.lora is not None:
        positive(plan.lora.rank, where("lora.rank"))
        positive(plan.lora.alpha, where("lora.alpha"))
        if not plan.lora.target_modules():
            raise InvalidArgument(where("lora.attention_modules"),
                                  "LoRA needs at least one module: name attention modules, or apply it to the MLP "
                                  "or the output")
    if plan.qat is not None:
        positive(plan.qat.group_size, where("qat.group_size"))
    if plan.dpo is not None:
        positive(plan.dpo.beta, where("dpo.beta"))


def attention_modules(names: list[str], field_name: str) -> list[str]:
    """torchtune's (or Hugging Face's) attention projection names, as Hugging Face's."""
    out = []
    for index, name in enumerate(names):
        if name not in ATTENTION_MODULES:
            raise InvalidArgument(f"{field_name}[{index}]", f"unknown attention module {name!r}; expected one of "
                                                            f"{', '.join(ATTENTION_MODULES)}")
        if ATTENTION_MODULES[name] not in out:
            out.append(ATTENTION_MODULES[name])
    return out


def quantizer(name: str, field_name: str) -> str:
    if name not in QUANTIZERS:
        raise InvalidArgument(field_name, f"unknown quantizer {name!r}; expected one of {', '.join(QUANTIZERS)}")
    return QUANTIZERS[name]
