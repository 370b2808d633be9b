"""Aggregation of per-row scores (the spec's AggregationFunctionType).

Each aggregation reads the rows' `score` (a number, a boolean, a string or null) and,
for weighted_average, the row's weight. A null score (the row failed, or a judge's
answer could not be parsed) is left out of the numeric aggregations, counts as wrong
for accuracy, and is its own category ("null") in categorical_count. The answer for
each function is an object keyed by the function's name, as the reference server
answered: {"accuracy": {"accuracy": 0.5, "num_correct": 1, "num_total": 2}}.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

AVERAGE, WEIGHTED_AVERAGE, MEDIAN = "average", "weighted_average", "median"
CATEGORICAL_COUNT, ACCURACY = "categorical_count", "accuracy"


@dataclass(frozen=True)
class ScoredRow:
    score: Any
    weight: float | None = 1.0  # None: the row's weight is unusable; weighted_average leaves it out


def _number(score: Any) -> float | None:
    if isinstance(score, bool):
        return float(score)
    if isinstance(score, (int, float)) and math.isfinite(score):
        return float(score)
    return None


def _numbers(rows: list[ScoredRow]) -> list[float]:
    return [n for n in (_number(r.score) for r in rows) if n is not None]


def average(rows: list[ScoredRow]) -> dict:
    numbers = _numbers(rows)
    return {"average": sum(numbers) / len(numbers) if numbers else None}


def weighted_average(rows: list[ScoredRow]) -> dict:
    pairs = [(n, r.weight) for r in rows if (n := _number(r.score)) is not None and r.weight is not None]
    total = sum(weight for _, weight in pairs)
    return {"weighted_average": sum(n * weight for n, weight in pairs) / total if total > 0 else None,
            "total_weight": total}


def median(rows: list[ScoredRow]) -> dict:
    numbers = _numbers(rows)
    return {"median": statistics.median(numbers) if numbers else None}


def category(score: Any) -> str:
    """A score as a category name: numbers in their shortest form (1.0 -> "1"), null as "null"."""
    if score is None:
        return "null"
    if isinstance(score, bool):
        return "true" if score else "false"
    if isinstance(score, float) and score.is_integer():
        return str(int(score))
    return str(score)


def categorical_count(rows: list[ScoredRow]) -> dict:
    counts: dict[str, int] = {}
    for row in rows:
        name = category(row.score)
        counts[name] = counts.get(name, 0) + 1
    return {"categorical_count": dict(sorted(counts.items()))}


def accuracy(rows: list[ScoredRow]) -> dict:
    """The share of rows scored exactly 1 (or true), over every row, failed ones included."""
    correct = sum(1 for r in rows if _number(r.score) == 1.0)
    return {"accuracy": correct / len(rows) if rows else None, "num_correct": correct, "num_total": len(rows)}


AGGREGATIONS: dict[str, Callable[[list[ScoredRow]], dict]] = {
    AVERAGE: average, WEIGHTED_AVERAGE: weighted_average, MEDIAN: median,
    CATEGORICAL_COUNT: categorical_count, ACCURACY: accuracy,
}


def aggregate(rows: list[ScoredRow], functions: list[str]) -> dict[str, dict]:
    return {name: AGGREGATIONS[name](rows) for name in functions}
