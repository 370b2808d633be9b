"""basic::equality and basic::subset_of: the generated answer against the expected one."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.eval.rows import ANSWER, EvalRow, RowError, answer_text
from server.eval.scoring.base import Scorer, ScoringFunction


class _Comparison(Scorer):
    def __init__(self, aggregations: list[str], matches: Callable[[Any, str], bool]):
        super().__init__(aggregations)
        self._matches = matches

    async def score(self, row: EvalRow, generated: str) -> dict:
        return {"score": 1.0 if self._matches(row.expected_answer(), generated) else 0.0}


def _equal(expected: Any, generated: str) -> bool:
    return answer_text(expected).strip() == generated.strip()


def _contained(expected: Any, generated: str) -> bool:
    if isinstance(expected, list):
        if not expected:
            raise RowError(f"the expected answer ({' or '.join(ANSWER)}) is an empty list")
        return all(answer_text(item).strip() in generated for item in expected)
    return answer_text(expected).strip() in generated


class _ComparisonFunction(ScoringFunction):
    matches: Callable[[Any, str], bool]

    def build(self, params, aggregations, field, context) -> Scorer:
        return _Comparison(aggregations, self.matches)


class Equality(_ComparisonFunction):
    id = "basic::equality"
    description = ("1 when the generated answer equals the expected answer (surrounding whitespace ignored), "
                   "else 0")
    matches = staticmethod(_equal)


class SubsetOf(_ComparisonFunction):
    id = "basic::subset_of"
    description = ("1 when the expected answer is contained in the generated answer (a list of expected "
                   "answers: every one of them), else 0")
    matches = staticmethod(_contained)
