"""The regex-parser scoring functions: an answer is parsed out of the generated text by
the first of `parsing_regexes` that matches (regex_parser parameters replace the
defaults), then compared with the expected answer."""
from __future__ import annotations

import re

from server.eval.rows import EvalRow, answer_text
from server.eval.scoring import math_answers
from server.eval.scoring.base import Scorer, ScoringFunction, compile_regexes, first_match

# "Answer: B" and its usual spellings in other languages; the letter is captured.
ANSWER_MARKERS = (
    r"The best answer is", r"Answer\s*[:：]", r"Antwort\s*:", r"Réponse\s*:", r"Respuesta\s*:",
    r"Risposta\s*:", r"Resposta\s*:", r"Jawaban\s*:", r"Jibu\s*:", r"答案\s*[:：]", r"回答\s*[:：]",
    r"答え\s*[:：]", r"정답\s*:", r"답변\s*:", r"उत्तर\s*:", r"الإجابة\s*:",
)
MULTIPLE_CHOICE_REGEXES = tuple(rf"(?i){marker}\s*\(?([A-J])\)?" for marker in ANSWER_MARKERS)
MATH_REGEXES = (r"(?i)final answer is:?\s*(?P<X>.+)",)


class _RegexFunction(ScoringFunction):
    params_kinds = ("regex_parser", "basic")
    default_regexes: tuple[str, ...] = ()

    def regexes(self, params, field: str) -> list[re.Pattern]:
        if params is not None and hasattr(params, "parsing_regexes") and params.parsing_regexes:
            return compile_regexes(params.parsing_regexes, f"{field}.parsing_regexes")
        return compile_regexes(self.default_regexes, "default parsing regexes")


def _choice(text: str) -> str:
    return text.strip().strip("().").strip().upper()


class _RegexScorer(Scorer):
    def __init__(self, aggregations: list[str], regexes: list[re.Pattern]):
        super().__init__(aggregations)
        self._regexes = regexes


class _MultipleChoiceScorer(_RegexScorer):
    async def score(self, row: EvalRow, generated: str) -> dict:
        expected = _choice(answer_text(row.expected_answer()))
        parsed = first_match(self._regexes, generated)
        correct = parsed is not None and _choice(parsed) == expected
        return {"score": 1.0 if correct else 0.0, "parsed_answer": parsed}


class MultipleChoice(_RegexFunction):
    id = "basic::regex_parser_multiple_choice_answer"
    description = ("parses the chosen letter out of the answer ('Answer: B' and its spellings in other languages) "
                   "and scores 1 when it is the expected letter, else 0")
    default_regexes = MULTIPLE_CHOICE_REGEXES

    def build(self, params, aggregations, field, context) -> Scorer:
        return _MultipleChoiceScorer(aggregations, self.regexes(params, field))


class _MathScorer(_RegexScorer):
    async def score(self, row: EvalRow, generated: str) -> dict:
        expected = math_answers.normalize(answer_text(row.expected_answer()))
        parsed = first_match(self._regexes, generated)
        if parsed is None:
            parsed = math_answers.extract_boxed(generated) or generated
        parsed = math_answers.normalize(parsed)
        return {"score": 1.0 if math_answers.equivalent(parsed, expected) else 0.0, "parsed_answer": parsed}


class MathResponse(_RegexFunction):
    id = "basic::regex_parser_math_response"
    description = ("parses the final answer out of a math solution ('final answer is ...', else the last "
                   "\\boxed{}), normalizes it and the expected answer (LaTeX, units, separators) and scores 1 "
                   "when they are the same text or the same number, else 0")
    default_regexes = MATH_REGEXES

    def build(self, params, aggregations, field, context) -> Scorer:
        return _MathScorer(aggregations, self.regexes(params, field))
