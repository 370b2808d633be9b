"""The built-in scoring functions and every aggregation, on hand-made generations with
known answers: exact numbers. The candidate here is scripted (its answers are the
hand-made generations); the real candidates and the judge on a real model are tested end
to end in test_eval.py."""
from __future__ import annotations

import asyncio

import pytest

from llamastack.eval.v1alpha import eval_pb2 as pb
from server.errors import InvalidArgument
from server.eval.candidates import Candidate
from server.eval.evaluation import Plan, aggregated, evaluate, scorers_of
from server.eval.rows import EvalRow, RowError
from server.eval.scoring import FUNCTIONS, ScoringContext
from server.eval.scoring.aggregation import ScoredRow, aggregate
from server.inference.chat import Candidate as ChatCandidate
from server.inference.chat import ChatResult

ALL = [pb.AGGREGATION_FUNCTION_TYPE_AVERAGE, pb.AGGREGATION_FUNCTION_TYPE_WEIGHTED_AVERAGE,
       pb.AGGREGATION_FUNCTION_TYPE_MEDIAN, pb.AGGREGATION_FUNCTION_TYPE_CATEGORICAL_COUNT,
       pb.AGGREGATION_FUNCTION_TYPE_ACCURACY]


class Scripted(Candidate):
    """Answers each row with its hand-made `generated` column."""

    concurrency = 4

    async def generate(self, row: EvalRow) -> dict:
        if "generated" not in row.values:
            raise RowError("no scripted answer")
        return {"generated_answer": row.values["generated"]}


class FakeRegistry:
    def __init__(self, models):
        self.models = models

    def get(self, model_id, kinds, field_name="model"):
        from server.errors import NotFound

        if model_id not in self.models:
            raise NotFound(f"Model '{model_id}' not found")
        return object()

    def spec(self, model_id):
        raise AssertionError("not used")


class JudgeInference:
    """A judge that answers from a script keyed by the generated answer it is shown."""

    def __init__(self, answers: dict[str, str]):
        self.registry = FakeRegistry({"judge"})
        self.answers = answers
        self.prompts: list[str] = []

    async def chat(self, request):
        prompt = request.messages[0]["content"]
        self.prompts.append(prompt)
        answer = next(text for key, text in self.answers.items() if f"<<{key}>>" in prompt)
        return ChatResult([ChatCandidate(text=answer)], 0, 0)


def config(function_id: str, **params) -> pb.BenchmarkConfig:
    """A benchmark config whose scoring_params give function_id every aggregation."""
    cfg = pb.BenchmarkConfig()
    kind = params.pop("kind", "basic")
    getattr(cfg.scoring_params[function_id], kind).CopyFrom(
        getattr(pb, {"basic": "BasicScoringFnParams", "regex_parser": "RegexParserScoringFnParams",
                     "llm_as_judge": "LLMAsJudgeScoringFnParams"}[kind])(aggregation_functions=ALL, **params))
    return cfg


def run(function_id: str, rows: list[dict], cfg: pb.BenchmarkConfig | None = None, inference=None):
    cfg = cfg if cfg is not None else config(function_id)
    scorers = scorers_of([function_id], cfg, ScoringContext(inference), "scoring_functions")
    plan = Plan(Scripted(), scorers)

    async def go():
        return sorted([r async for r in evaluate(plan, [EvalRow(i, v) for i, v in enumerate(rows)])],
                      key=lambda r: r.index)

    results = asyncio.run(go())
    return [r.scores[function_id] for r in results], aggregated(scorers, results)[function_id]


# ---------------------------------------------------------------- the functions


def test_equality_every_aggregation():
    rows = [
        {"question": "q", "answer": "Paris", "generated": "Paris", "weight": 3},
        {"input_query": "q", "expected_answer": "Paris", "generated": " Paris\n", "weight": 1},  # the reference's names
        {"question": "q", "answer": "Paris", "generated": "paris", "weight": 4},
        {"question": "q", "answer": 4, "generated": "4"},  # a number answer compares as its text; weight 1
        {"question": "q", "generated": "Paris", "weight": 100},  # no answer column: a per-row error
    ]
    scores, aggregates = run("basic::equality", rows)
    assert [s["score"] for s in scores] == [1.0, 1.0, 0.0, 1.0, None]
    assert "answer" in scores[4]["error"] and "expected_answer" in scores[4]["error"]
    assert aggregates == {
        "average": {"average": 0.75},
        "weighted_average": {"weighted_average": 5 / 9, "total_weight": 9.0},
        "median": {"median": 1.0},
        "categorical_count": {"categorical_count": {"0": 1, "1": 3, "null": 1}},
        "accuracy": {"accuracy": 0.6, "num_correct": 3, "num_total": 5},
    }


def test_subset_of_every_aggregation():
    rows = [
        {"question": "q", "answer": "Paris", "generated": "The capital is Paris."},
        {"question": "q", "answer": ["red", "blue"], "generated": "red and blue", "weight": 2},
        {"question": "q", "answer": ["red", "blue"], "generated": "only red", "weight": 2},
        {"question": "q", "answer": "Lyon", "generated": "Paris"},
    ]
    scores, aggregates = run("basic::subset_of", rows)
    assert [s["score"] for s in scores] == [1.0, 1.0, 0.0, 0.0]
    assert aggregates == {
        "average": {"average": 0.5},
        "weighted_average": {"weighted_average": 0.5, "total_weight": 6.0},
        "median": {"median": 0.5},
        "categorical_count": {"categorical_count": {"0": 2, "1": 2}},
        "accuracy": {"accuracy": 0.5, "num_correct": 2, "num_total": 4},
    }


def test_multiple_choice_default_regexes_every_aggregation():
    rows = [
        {"question": "q", "answer": "B", "generated": "Let me think.\nAnswer: B"},
        {"question": "q", "answer": "C", "generated": "The best answer is (c)."},
        {"question": "q", "answer": "B", "generated": "Réponse : A"},
        {"question": "q", "answer": "D", "generated": "I do not know", "weight": 0},
        {"question": "q", "answer": "A", "generated": "答案：A", "weight": 2},
    ]
    scores, aggregates = run("basic::regex_parser_multiple_choice_answer", rows,
                             config("basic::regex_parser_multiple_choice_answer", kind="regex_parser"))
    assert [s["score"] for s in scores] == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert [s["parsed_answer"] for s in scores] == ["B", "c", "A", None, "A"]
    assert aggregates == {
        "average": {"average": 0.6},
        "weighted_average": {"weighted_average": 4 / 5, "total_weight": 5.0},
        "median": {"median": 1.0},
        "categorical_count": {"categorical_count": {"0": 2, "1": 3}},
        "accuracy": {"accuracy": 0.6, "num_correct": 3, "num_total": 5},
    }


def test_regex_parser_params_replace_the_default_regexes():
    function_id = "basic::regex_parser_multiple_choice_answer"
    rows = [{"question": "q", "answer": "B", "generated": "Option B is right. Answer: A"},
            {"question": "q", "answer": "A", "generated": "Answer: A"}]
    scores, aggregates = run(function_id, rows, config(function_id, kind="regex_parser",
                                                       parsing_regexes=[r"Option ([A-D])"]))
    assert [s["score"] for s in scores] == [1.0, 0.0]  # the default "Answer:" regex no longer applies
    assert [s["parsed_answer"] for s in scores] == ["B", None]
    assert aggregates["accuracy"] == {"accuracy": 0.5, "num_correct": 1, "num_total": 2}


def test_math_response_every_aggregation():
    rows = [
        {"question": "q", "answer": "0.5", "generated": "So the final answer is $\\boxed{\\frac{1}{2}}$. Done."},
        {"question": "q", "answer": "1000", "generated": "The final answer is 1,000."},
        {"question": "q", "answer": "\\dfrac{3}{4}", "generated": "Thus x = 3/4"},
        {"question": "q", "answer": "12", "generated": "We get $\\boxed{12}$ apples", "weight": 3},
        {"question": "q", "answer": "\\boxed{4}", "generated": "The final answer is 5", "weight": 3},
        {"question": "q", "answer": "7", "generated": "The final answer is 7 dollars"},
    ]
    scores, aggregates = run("basic::regex_parser_math_response", rows)
    assert [s["score"] for s in scores] == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert [s["parsed_answer"] for s in scores] == ["\\frac{1}{2}", "1000", "3/4", "12", "5", "7"]
    assert aggregates == {
        "average": {"average": 5 / 6},
        "weighted_average": {"weighted_average": 7 / 10, "total_weight": 10.0},
        "median": {"median": 1.0},
        "categorical_count": {"categorical_count": {"0": 1, "1": 5}},
        "accuracy": {"accuracy": 5 / 6, "num_correct": 5, "num_total": 6},
    }


def test_llm_as_judge_scores_parse_and_an_unparseable_answer_scores_null():
    judge = JudgeInference({"good": "Score: 9", "half": "score = 4.5", "odd": "Maybe. Hard to say.",
                            "text": "Grade: B"})
    function_id = "llm-as-judge::base"
    cfg = config(function_id, kind="llm_as_judge", judge_model="judge",
                 prompt_template="Q {question} / expected {expected_answer} / got <<{generated_answer}>>",
                 judge_score_regexes=[r"(?i)score\s*[:=]\s*([\d.]+)", r"Grade: ([A-F])"])
    rows = [{"question": "capital?", "answer": "Paris", "generated": g, "weight": w}
            for g, w in (("good", 1), ("half", 3), ("odd", 5), ("text", 1))]
    scores, aggregates = run(function_id, rows, cfg, judge)
    assert [s["score"] for s in scores] == [9, 4.5, None, "B"]
    assert [s["judge_feedback"] for s in scores] == ["Score: 9", "score = 4.5", "Maybe. Hard to say.", "Grade: B"]
    assert judge.prompts[0] == "Q capital? / expected Paris / got <<good>>"
    assert aggregates == {
        "average": {"average": 6.75},
        "weighted_average": {"weighted_average": (9 + 13.5) / 4, "total_weight": 4.0},
        "median": {"median": 6.75},
        "categorical_count": {"categorical_count": {"4.5": 1, "9": 1, "B": 1, "null": 1}},
        "accuracy": {"accuracy": 0.0, "num_correct": 0, "num_total": 4},
    }


def test_default_aggregations_and_rows_without_what_a_function_needs():
    rows = [{"question": "q", "answer": "x", "generated": "x"},
            {"question": "q", "answer": "x"},  # the candidate cannot answer this one
            {"messages": [{"role": "user", "content": "hi"}], "answer": {"a": 1}, "generated": "x"}]
    scores, aggregates = run("basic::equality", rows, pb.BenchmarkConfig())
    assert [s["score"] for s in scores] == [1.0, None, None]
    assert scores[1]["error"] == "no scripted answer"
    assert "must be a string or a number" in scores[2]["error"]
    assert aggregates == {"accuracy": {"accuracy": 1 / 3, "num_correct": 1, "num_total": 3}}


def test_aggregations_of_no_usable_score_are_null():
    rows = [ScoredRow(None), ScoredRow("text")]
    assert aggregate(rows, ["average", "weighted_average", "median", "accuracy", "categorical_count"]) == {
        "average": {"average": None}, "weighted_average": {"weighted_average": None, "total_weight": 0},
        "median": {"median": None}, "accuracy": {"accuracy": 0.0, "num_correct": 0, "num_total": 2},
        "categorical_count": {"categorical_count": {"null": 1, "text": 1}}}
    assert aggregate([], ["accuracy"]) == {"accuracy": {"accuracy": None, "num_correct": 0, "num_total": 0}}


# ---------------------------------------------------------------- bad parameters: 400 naming the field


@pytest.mark.parametrize("function_id, cfg, field", [
    ("basic::equality", config("basic::equality", kind="regex_parser", parsing_regexes=["x"]),
     "benchmark_config.scoring_params.basic::equality.type"),
    ("basic::regex_parser_math_response",
     config("basic::regex_parser_math_response", kind="regex_parser", parsing_regexes=["(unclosed"]),
     "benchmark_config.scoring_params.basic::regex_parser_math_response.parsing_regexes[0]"),
    ("llm-as-judge::base", pb.BenchmarkConfig(), "benchmark_config.scoring_params.llm-as-judge::base"),
    ("llm-as-judge::base", config("llm-as-judge::base", kind="llm_as_judge", judge_model="nobody"),
     "benchmark_config.scoring_params.llm-as-judge::base.judge_model"),
    ("llm-as-judge::base", config("llm-as-judge::base", kind="llm_as_judge", judge_model="judge",
                                  prompt_template="{input_query} {rubric}"),
     "benchmark_config.scoring_params.llm-as-judge::base.prompt_template"),
    ("no::such", pb.BenchmarkConfig(), "scoring_functions[0]"),
])
def test_bad_parameters_name_the_field(function_id, cfg, field):
    with pytest.raises(InvalidArgument) as caught:
        scorers_of([function_id], cfg, ScoringContext(JudgeInference({})), "scoring_functions")
    assert caught.value.field == field, caught.value.message


def test_unspecified_aggregation_and_params_for_a_function_not_evaluated():
    cfg = pb.BenchmarkConfig()
    cfg.scoring_params["basic::equality"].basic.aggregation_functions.append(
        pb.AGGREGATION_FUNCTION_TYPE_UNSPECIFIED)
    with pytest.raises(InvalidArgument) as caught:
        scorers_of(["basic::equality"], cfg, ScoringContext(None), "scoring_functions")
    assert caught.value.field == "benchmark_config.scoring_params.basic::equality.aggregation_functions[0]"
    with pytest.raises(InvalidArgument) as caught:
        scorers_of(["basic::subset_of"], cfg, ScoringContext(None), "scoring_functions")
    assert caught.value.field == "benchmark_config.scoring_params.basic::equality"


def test_every_function_is_listed():
    assert sorted(FUNCTIONS) == ["basic::equality", "basic::regex_parser_math_response",
                                 "basic::regex_parser_multiple_choice_answer", "basic::subset_of",
                                 "llm-as-judge::base"]
