"""Benchmarks and row evaluations end to end, over gRPC and REST, with the tiny random
model as the candidate (as a model, and inside an agent) and as the judge. Its text is
random, so model-candidate tests assert structure and counts; the agent candidate's
answers are pinned by a grammar, so its scores are exact."""
from __future__ import annotations

import pytest

from _eval import EvalApi, model_candidate, names_field, register_dataset
from conftest import RunningServer, make_config

QA_ROWS = [{"question": "Capital of France?", "answer": "Paris"},
           {"question": "Capital of Italy?", "answer": "Rome"},
           {"question": "Largest French city?", "answer": "Paris"}]
ALL_BASIC = ["basic::equality", "basic::subset_of", "basic::regex_parser_multiple_choice_answer",
             "basic::regex_parser_math_response"]


@pytest.fixture(scope="module")
def eval_server(tmp_path_factory, tiny_llm):
    data_dir = tmp_path_factory.mktemp("eval")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=[{"id": "tiny-llama", "checkpoint": str(tiny_llm)}],
                                        eval_judge_max_tokens=8))
    register_dataset(running.http, "qa", QA_ROWS)
    register_dataset(running.http, "chat", [{"messages": [{"role": "user", "content": "hi"}], "answer": "hello"}],
                     purpose="eval/messages-answer")
    yield running
    running.stop()


@pytest.fixture(params=["grpc", "rest"])
def api(request, eval_server):
    return EvalApi(eval_server, request.param)


def _benchmark(api, benchmark_id: str, functions=("basic::equality",), dataset="qa", **extra):
    api("RegisterBenchmark", benchmark_id=benchmark_id, dataset_id=dataset, scoring_functions=list(functions),
        **extra)
    return benchmark_id


# ---------------------------------------------------------------- benchmarks


def test_register_list_get_unregister(api):
    name = f"bench-{api.name}"
    assert api("RegisterBenchmark", benchmark_id=name, dataset_id="qa", scoring_functions=ALL_BASIC,
               provider_benchmark_id="upstream-1", metadata={"suite": "geo", "version": 2}) is None
    expected = {"identifier": name, "provider_resource_id": "upstream-1", "provider_id": "meta-reference",
                "type": "benchmark", "dataset_id": "qa", "scoring_functions": ALL_BASIC,
                "metadata": {"suite": "geo", "version": 2}}
    assert api("GetBenchmark", benchmark_id=name) == expected
    assert expected in api("ListBenchmarks")["data"]
    duplicate = api.error("RegisterBenchmark", benchmark_id=name, dataset_id="chat",
                       scoring_functions=["basic::subset_of"])
    assert duplicate.code == "ALREADY_EXISTS" and name in duplicate.message
    assert api("GetBenchmark", benchmark_id=name) == expected  # the first registration is untouched
    assert api("UnregisterBenchmark", benchmark_id=name) is None
    assert api.error("GetBenchmark", benchmark_id=name).code == "NOT_FOUND"
    assert name not in [b["identifier"] for b in api("ListBenchmarks")["data"]]
    assert api.error("UnregisterBenchmark", benchmark_id=name).code == "NOT_FOUND"


def test_minimal_registration_defaults(api):
    name = _benchmark(api, f"minimal-{api.name}")
    assert api("GetBenchmark", benchmark_id=name) == {
        "identifier": name, "provider_resource_id": name, "provider_id": "meta-reference", "type": "benchmark",
        "dataset_id": "qa", "scoring_functions": ["basic::equality"], "metadata": {}}


@pytest.mark.parametrize("body, field", [
    ({"dataset_id": "no-such-dataset", "scoring_functions": ["basic::equality"]}, "dataset_id"),
    ({"dataset_id": "qa", "scoring_functions": ["basic::equality", "basic::nope"]}, "scoring_functions[1]"),
    ({"dataset_id": "qa", "scoring_functions": []}, "scoring_functions"),
    ({"dataset_id": "qa", "scoring_functions": ["basic::equality", "basic::equality"]}, "scoring_functions[1]"),
    ({"dataset_id": "qa", "scoring_functions": ["basic::equality"], "provider_id": "other"}, "provider_id"),
])
def test_bad_registration_is_400_naming_the_field(api, body, field):
    error = api.error("RegisterBenchmark", benchmark_id=f"bad-{api.name}", **body)
    assert names_field(error, field), error
    assert api.error("GetBenchmark", benchmark_id=f"bad-{api.name}").code == "NOT_FOUND"


def test_bad_benchmark_ids(api):
    for benchmark_id, message in (("a/b", "'/'"), ("x" * 257, "at most 256")):
        error = api.error("RegisterBenchmark", benchmark_id=benchmark_id, dataset_id="qa",
                       scoring_functions=["basic::equality"])
        assert names_field(error, "benchmark_id") and message in error.message


def test_unknown_benchmark_is_404_for_evaluations(api):
    error = api.error("EvaluateRows", benchmark_id="nobody", input_rows=QA_ROWS,
                   scoring_functions=["basic::equality"],
                   benchmark_config={"eval_candidate": model_candidate(), "scoring_params": {}})
    assert error.code == "NOT_FOUND" and "nobody" in error.message


# ---------------------------------------------------------------- evaluate rows


def test_evaluate_rows_with_a_model_candidate(api, eval_server):
    name = _benchmark(api, f"rows-{api.name}", ALL_BASIC)
    rows = [*QA_ROWS,
            {"messages": [{"role": "user", "content": "Say B"}], "answer": "B"},
            {"chat_completion_input": '[{"role": "user", "content": "2+2?"}]', "expected_answer": "4"},
            {"unrelated": "this row has nothing to ask"}]
    answer = api("EvaluateRows", benchmark_id=name, input_rows=rows, scoring_functions=ALL_BASIC,
                 benchmark_config={"eval_candidate": model_candidate(
                     4, system_message={"role": "system", "content": "Answer briefly."}), "scoring_params": {}})
    generations = answer["generations"]
    assert len(generations) == len(rows)
    assert all(isinstance(g["generated_answer"], str) for g in generations[:5])
    assert generations[5]["generated_answer"] is None and "question" in generations[5]["error"]
    assert sorted(answer["scores"]) == sorted(ALL_BASIC)
    for function_id, result in answer["scores"].items():
        assert len(result["score_rows"]) == len(rows), function_id
        assert all(row["score"] in (0, 1) for row in result["score_rows"][:5]), function_id
        assert result["score_rows"][5] == {"score": None, "error": generations[5]["error"]}
        accuracy = result["aggregated_results"]["accuracy"]
        assert accuracy["num_total"] == 6
        assert accuracy["num_correct"] == sum(row["score"] == 1 for row in result["score_rows"])


def test_num_examples_limits_the_rows(api):
    name = _benchmark(api, f"limit-{api.name}")
    answer = api("EvaluateRows", benchmark_id=name, input_rows=QA_ROWS, scoring_functions=["basic::equality"],
                 benchmark_config={"eval_candidate": model_candidate(2), "scoring_params": {}, "num_examples": 2})
    assert len(answer["generations"]) == 2
    assert answer["scores"]["basic::equality"]["aggregated_results"]["accuracy"]["num_total"] == 2


def test_agent_candidate_runs_each_row_as_a_turn_of_a_fresh_session(api, eval_server):
    """The grammar pins the agent's answer to "Paris", so the scores are exact."""
    name = _benchmark(api, f"agent-{api.name}", ["basic::equality", "basic::subset_of"])
    config = {"model": "tiny-llama", "instructions": "You answer with a city.",
              "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 8},
              "response_format": {"type": "grammar", "bnf": {"grammar": 'root ::= "Paris"'}}}
    answer = api("EvaluateRows", benchmark_id=name, input_rows=QA_ROWS,
                 scoring_functions=["basic::equality", "basic::subset_of"],
                 benchmark_config={"eval_candidate": {"type": "agent", "config": config},
                                   "scoring_params": {"basic::subset_of": {
                                       "type": "basic", "aggregation_functions": ["average", "categorical_count"]}}})
    generations = answer["generations"]
    assert [g["generated_answer"] for g in generations] == ["Paris", "Paris", "Paris"]
    assert [r["score"] for r in answer["scores"]["basic::equality"]["score_rows"]] == [1, 0, 1]
    assert answer["scores"]["basic::equality"]["aggregated_results"] == {
        "accuracy": {"accuracy": pytest.approx(2 / 3), "num_correct": 2, "num_total": 3}}
    assert answer["scores"]["basic::subset_of"]["aggregated_results"] == {
        "average": {"average": pytest.approx(2 / 3)}, "categorical_count": {"categorical_count": {"0": 1, "1": 2}}}
    # One agent, a fresh session per row, each holding the one turn that answered it.
    assert len({g["agent_id"] for g in generations}) == 1 and len({g["session_id"] for g in generations}) == 3
    http = eval_server.http
    for generation, row in zip(generations, QA_ROWS, strict=True):
        session = http.get(f"/v1alpha/agents/{generation['agent_id']}/session/{generation['session_id']}").json()
        (turn,) = session["turns"]
        assert turn["turn_id"] == generation["turn_id"]
        assert turn["input_messages"] == [{"role": "user", "content": row["question"]}]
        assert turn["output_message"]["content"] == "Paris"
        assert [s["step_type"] for s in turn["steps"]] == ["inference"]


def test_llm_as_judge_with_the_tiny_model(api):
    """The tiny model judges: a regex that captures anything gives a score per row; one its
    random answers cannot match gives the documented null score, never an error."""
    name = _benchmark(api, f"judge-{api.name}", ["llm-as-judge::base"])

    def judged(regexes):
        params = {"type": "llm_as_judge", "judge_model": "tiny-llama", "judge_score_regexes": regexes,
                  "prompt_template": "Q: {input_query}\nExpected: {expected_answer}\nGot: {generated_answer}\nScore:",
                  "aggregation_functions": ["average", "categorical_count", "accuracy"]}
        return api("EvaluateRows", benchmark_id=name, input_rows=QA_ROWS[:2], scoring_functions=["llm-as-judge::base"],
                   benchmark_config={"eval_candidate": model_candidate(2),
                                     "scoring_params": {"llm-as-judge::base": params}})["scores"]["llm-as-judge::base"]

    anything = judged([r"(?s)(.+)"])
    assert [r["score"] is not None for r in anything["score_rows"]] == [True, True]
    assert all(isinstance(r["judge_feedback"], str) and r["judge_feedback"] for r in anything["score_rows"])
    assert sum(anything["aggregated_results"]["categorical_count"]["categorical_count"].values()) == 2

    never = judged([r"\A(?!)"])  # matches nothing
    assert [r["score"] for r in never["score_rows"]] == [None, None]
    assert all(isinstance(r["judge_feedback"], str) for r in never["score_rows"])
    assert never["aggregated_results"] == {"average": {"average": None},
                                           "categorical_count": {"categorical_count": {"null": 2}},
                                           "accuracy": {"accuracy": 0, "num_correct": 0, "num_total": 2}}


@pytest.mark.parametrize("config, functions, field", [
    ({"eval_candidate": {"type": "model", "model": "nope", "sampling_params": {"strategy": {"type": "greedy"}}},
      "scoring_params": {}}, ["basic::equality"], "benchmark_config.eval_candidate.model"),
    ({"eval_candidate": model_candidate(0), "scoring_params": {}}, ["basic::equality"],
     "benchmark_config.eval_candidate.sampling_params.max_tokens"),
    ({"eval_candidate": model_candidate(), "scoring_params": {}, "num_examples": 0}, ["basic::equality"],
     "benchmark_config.num_examples"),
    ({"eval_candidate": model_candidate(), "scoring_params": {
        "basic::subset_of": {"type": "basic", "aggregation_functions": []}}}, ["basic::equality"],
     "benchmark_config.scoring_params.basic::subset_of"),
    ({"eval_candidate": model_candidate(), "scoring_params": {
        "llm-as-judge::base": {"type": "llm_as_judge", "judge_model": "nope", "judge_score_regexes": [],
                               "aggregation_functions": []}}}, ["llm-as-judge::base"],
     "benchmark_config.scoring_params.llm-as-judge::base.judge_model"),
    ({"eval_candidate": {"type": "agent", "config": {"model": "nope", "instructions": "x"}}, "scoring_params": {}},
     ["basic::equality"], "benchmark_config.eval_candidate.config.model"),
    ({"eval_candidate": {"type": "agent", "config": {
        "model": "tiny-llama", "instructions": "x", "client_tools": [{"name": "clock"}]}}, "scoring_params": {}},
     ["basic::equality"], "benchmark_config.eval_candidate.config.client_tools"),
    ({"eval_candidate": {"type": "agent", "config": {
        "model": "tiny-llama", "instructions": "x", "toolgroups": ["builtin::nope"]}}, "scoring_params": {}},
     ["basic::equality"], "benchmark_config.eval_candidate.config.toolgroups[0]"),
    ({"eval_candidate": model_candidate(), "scoring_params": {}}, ["basic::nope"], "scoring_functions[0]"),
    ({"scoring_params": {}}, ["basic::equality"], "benchmark_config.eval_candidate"),
])
def test_bad_evaluations_are_400_naming_the_field(api, config, functions, field):
    name = f"errors-{api.name}"
    if not any(b["identifier"] == name for b in api("ListBenchmarks")["data"]):
        _benchmark(api, name)
    error = api.error("EvaluateRows", benchmark_id=name, input_rows=QA_ROWS, scoring_functions=functions,
                   benchmark_config=config)
    assert names_field(error, field), error
