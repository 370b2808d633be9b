"""llm-as-judge::base: a judge model reads the question, the expected answer and the
generated one (through `prompt_template`) and answers; the first of
`judge_score_regexes` that matches the judge's answer gives the row's score (a number
when the captured text is one, else the text). A judge answer no regex matches scores
null, and the row keeps the judge's answer as `judge_feedback`."""
from __future__ import annotations

import math
import string

from server.errors import InvalidArgument
from server.eval.models import require_llm
from server.eval.rows import EvalRow, answer_text
from server.eval.scoring.aggregation import AVERAGE, CATEGORICAL_COUNT
from server.eval.scoring.base import Scorer, ScoringContext, ScoringFunction, compile_regexes, first_match
from server.inference.chat import ChatRequest

DEFAULT_PROMPT_TEMPLATE = (
    "You grade answers to questions.\n\n"
    "Question: {input_query}\n"
    "Expected answer: {expected_answer}\n"
    "Answer to grade: {generated_answer}\n\n"
    "How well does the answer to grade match the expected answer, from 0 (wrong) to 10 (fully correct)? "
    "Reply with 'Score: <number>' and nothing else."
)
DEFAULT_SCORE_REGEXES = (r"(?i)score\s*[:=]\s*(-?\d+(?:\.\d+)?)",)
# The template's placeholders: the reference's names, and the dataset purposes' names.
PLACEHOLDERS = ("input_query", "expected_answer", "generated_answer", "question", "answer")


def _check_template(template: str, field: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise InvalidArgument(field, f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}") \
            from None
    for name in names:
        if name not in PLACEHOLDERS:
            raise InvalidArgument(field, f"unknown placeholder {{{name}}}; known: "
                                         f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}")


def judge_score(captured: str | None):
    """The captured text as a number where it is one (7 -> 7, 7.5 -> 7.5), else as text."""
    if captured is None:
        return None
    text = captured.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


class _JudgeScorer(Scorer):
    def __init__(self, aggregations, context: ScoringContext, model: str, template: str, regexes):
        super().__init__(aggregations)
        self._context, self._model, self._template, self._regexes = context, model, template, regexes

    async def score(self, row: EvalRow, generated: str) -> dict:
        question, expected = row.query_text(), answer_text(row.expected_answer())
        prompt = self._template.format(input_query=question, question=question, expected_answer=expected,
                                       answer=expected, generated_answer=generated)
        result = await self._context.inference.chat(ChatRequest(
            model_id=self._model, messages=[{"role": "user", "content": prompt}],
            max_tokens=self._context.judge_max_tokens, background=self._context.background))
        feedback = result.candidates[0].text
        return {"score": judge_score(first_match(self._regexes, feedback)), "judge_feedback": feedback}


class LlmAsJudge(ScoringFunction):
    id = "llm-as-judge::base"
    description = ("asks the judge model (llm_as_judge parameters: judge_model, prompt_template, "
                   "judge_score_regexes) to grade the answer; the score is what the first matching regex "
                   "captures, null when none matches")
    params_kinds = ("llm_as_judge",)
    default_aggregations = (AVERAGE, CATEGORICAL_COUNT)

    def build(self, params, aggregations, field, context) -> Scorer:
        if params is None:
            raise InvalidArgument(field, f"{self.id} needs llm_as_judge parameters naming the judge_model")
        require_llm(context.inference.registry, params.judge_model, f"{field}.judge_model")
        template = params.prompt_template if params.HasField("prompt_template") else DEFAULT_PROMPT_TEMPLATE
        _check_template(template, f"{field}.prompt_template")
        regexes = compile_regexes(params.judge_score_regexes, f"{field}.judge_score_regexes") \
            if params.judge_score_regexes else compile_regexes(DEFAULT_SCORE_REGEXES, "default judge regexes")
        return _JudgeScorer(aggregations, context, params.judge_model, template, regexes)
