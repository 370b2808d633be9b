"""What a served model is: its id, kind (llm, embedding, rerank, reward), engine and
checkpoint, as configured. Shared by the loaders (spec -> loaded model) and the
registry (the models this server serves)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("llm", "embedding", "rerank", "reward")
DEFAULT_ENGINES = {"llm": "transformers", "embedding": "sentence-transformers", "rerank": "cross-encoder",
                   "reward": "transformers"}


@dataclass
class ModelSpec:
    id: str
    checkpoint: str
    kind: str = "llm"
    engine: str = ""
    device: str = "cpu"
    max_batch: int = 32
    metadata: dict[str, Any] = field(default_factory=dict)
    # engine "remote": OpenAI-compatible servers (e.g. `vllm serve`) serving this model, and
    # the name they serve it under (default: checkpoint, which holds the tokenizer).
    upstreams: list[str] = field(default_factory=list)
    upstream_model: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model {self.id!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        self.engine = self.engine or DEFAULT_ENGINES[self.kind]

    @classmethod
    def from_setting(cls, value: Any) -> ModelSpec:
        """A `models:` entry of the config (a mapping), or a bare checkpoint path (an LLM
        named after its folder)."""
        if isinstance(value, (str, Path)):
            path = Path(value).expanduser()
            return cls(id=path.name, checkpoint=str(path))
        if not isinstance(value, dict) or "checkpoint" not in value:
            raise ValueError(f"a model needs at least a checkpoint: {value!r}")
        value = dict(value)
        value.setdefault("id", Path(value["checkpoint"]).name)
        return cls(**value)
