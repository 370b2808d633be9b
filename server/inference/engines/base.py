"""What every LLM engine offers the inference service."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


class ConstraintError(ValueError):
    """The constraint (schema or grammar) cannot be compiled for decoding."""


@dataclass
class Constraint:
    """Constrained decoding: exactly one of json_schema (a JSON Schema, as a dict) or
    grammar (an EBNF/GBNF grammar string)."""

    json_schema: dict | None = None
    grammar: str | None = None
    # The grammar's strings are JSON strings (tool-call arguments), as a JSON schema's are.
    json_strings: bool = False

    @property
    def bans_control_characters(self) -> bool:
        """JSON strings never hold a raw control character, but xgrammar lets them in,
        where strict parsers reject them: engines mask those tokens out."""
        return self.json_schema is not None or self.json_strings


@dataclass
class GenerationRequest:
    prompt_ids: list[int]
    max_tokens: int = 256
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    top_k: int = 0  # 0: no top-k cut
    repetition_penalty: float = 1.0
    stop: list[str] = field(default_factory=list)
    logprobs: bool = False
    constraint: Constraint | None = None
    seed: int | None = None
    ignore_eos: bool = False  # run to max_tokens (benchmarks, tests)


@dataclass
class TokenEvent:
    """One generated token: its id, the text it adds, and (when finished) why it stopped:
    "stop" (end of turn, stop sequence, or grammar complete) or "length"."""

    token_id: int
    text: str
    logprob: float | None = None
    finish_reason: str | None = None


def control_token_ids(tokenizer, vocab_size: int, keep: list[int]) -> list[int]:
    """Tokens whose text holds a raw control character. Compact JSON never needs one, but
    JSON-schema decoders let them into strings, where strict parsers reject them; engines
    ban them while decoding to a JSON schema."""
    return [token_id for token_id in range(vocab_size)
            if token_id not in keep and any(ord(c) < 0x20 for c in tokenizer.decode([token_id]))]


class Engine(ABC):
    """An LLM engine. Concurrent `generate` calls are batched by the engine; leaving the
    iterator early (cancellation, deadline, client gone) aborts the engine request."""

    name: str

    @abstractmethod
    def generate(self, request: GenerationRequest) -> AsyncIterator[TokenEvent]: ...

    @property
    @abstractmethod
    def tokenizer(self): ...

    @abstractmethod
    def close(self) -> None: ...


class ScoringEngine(ABC):
    """Engines that can score a given continuation (reward scoring by log-probability)."""

    @abstractmethod
    async def continuation_logprobs(self, prompt_ids: list[int], continuation_ids: list[int]) -> list[float]:
        """Log-probability of each continuation token after the prompt."""
