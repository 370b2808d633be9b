"""The built-in scoring functions, by id, and the aggregations of their per-row scores."""
from __future__ import annotations

from server.eval.scoring.base import Scorer, ScoringContext, ScoringFunction
from server.eval.scoring.basic import Equality, SubsetOf
from server.eval.scoring.judge import LlmAsJudge
from server.eval.scoring.regex import MathResponse, MultipleChoice

FUNCTIONS: dict[str, ScoringFunction] = {f.id: f for f in (
    Equality(), SubsetOf(), MultipleChoice(), MathResponse(), LlmAsJudge())}

__all__ = ["FUNCTIONS", "Scorer", "ScoringContext", "ScoringFunction"]
