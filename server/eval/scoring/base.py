"""What a scoring function is: an id, a description, the parameter kinds it takes
(`ScoringFnParams`: basic, regex_parser, llm_as_judge) and its default aggregations.
Configured with a request's parameters it becomes a Scorer, which scores one row."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from llamastack.eval.v1alpha import eval_pb2 as pb
from server.errors import InvalidArgument
from server.eval.rows import EvalRow
from server.eval.scoring.aggregation import ACCURACY, AGGREGATIONS

_AGGREGATION_PREFIX = "AGGREGATION_FUNCTION_TYPE_"


@dataclass
class ScoringContext:
    """What scoring functions may use beyond their parameters."""

    inference: Any  # InferenceService: the judge's model
    judge_max_tokens: int = 256
    background: bool = False  # scoring for a job: the judge's requests take the engine's background budget


class Scorer(ABC):
    """One scoring function, configured for one evaluation."""

    def __init__(self, aggregations: list[str]):
        self.aggregations = aggregations

    @abstractmethod
    async def score(self, row: EvalRow, generated: str) -> dict:
        """The row's score row, {"score": ..., ...}; RowError if the row lacks what it needs."""


class ScoringFunction(ABC):
    id: str
    description: str
    params_kinds: tuple[str, ...] = ("basic",)
    default_aggregations: tuple[str, ...] = (ACCURACY,)

    def configure(self, params: pb.ScoringFnParams | None, field: str, context: ScoringContext) -> Scorer:
        """A Scorer for these parameters (None: the defaults); 400 naming the field if they do not fit."""
        kind = params.WhichOneof("params") if params is not None else None
        if params is not None and kind is None:
            raise InvalidArgument(f"{field}.type", f"is required: one of {', '.join(self.params_kinds)}")
        if kind is not None and kind not in self.params_kinds:
            raise InvalidArgument(f"{field}.type", f"{self.id} takes {' or '.join(self.params_kinds)} parameters, "
                                                   f"not {kind}")
        chosen = getattr(params, kind) if kind else None
        aggregations = _aggregations(chosen, field) if chosen is not None else []
        return self.build(chosen, aggregations or list(self.default_aggregations), field, context)

    @abstractmethod
    def build(self, params, aggregations: list[str], field: str, context: ScoringContext) -> Scorer:
        """params: the chosen ScoringFnParams member, or None."""


def _aggregations(params, field: str) -> list[str]:
    names = []
    for i, value in enumerate(params.aggregation_functions):
        name = pb.AggregationFunctionType.Name(value).removeprefix(_AGGREGATION_PREFIX).lower() \
            if value in pb.AggregationFunctionType.values() else None
        if name not in AGGREGATIONS:
            raise InvalidArgument(f"{field}.aggregation_functions[{i}]",
                                  f"must be one of {', '.join(AGGREGATIONS)}")
        if name not in names:
            names.append(name)
    return names


def compile_regexes(patterns, field: str) -> list[re.Pattern]:
    compiled = []
    for i, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise InvalidArgument(f"{field}[{i}]", f"is not a valid regular expression: {exc}") from None
    return compiled


def first_match(regexes: list[re.Pattern], text: str) -> str | None:
    """What the first matching regex captured: its group X, else its first group that
    took part in the match, else the whole match. None when no regex matches."""
    for regex in regexes:
        match = regex.search(text)
        if match is None:
            continue
        if "X" in regex.groupindex and match.group("X") is not None:
            return match.group("X")
        captured = [group for group in match.groups() if group is not None]
        return captured[0] if captured else match.group(0)
    return None
