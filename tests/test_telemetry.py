"""Telemetry on the spans the server itself produced: a chat over gRPC and a streamed chat
over REST (each continuing a caller's traceparent), a vector-store insert job and an
agent turn that calls knowledge_search behind an input shield. The seven operations run
over both protocols: parent/child links, attributes, filters, ordering, paging, depth
limits, export to a dataset, metric buckets with exact sums; then /metrics."""
from __future__ import annotations

import json
import os
import re
import time

import grpc
import pytest
from google.protobuf import message_factory
from grpc_status import rpc_status
from prometheus_client.parser import text_string_to_metric_families

from _wait import wait_until
from conftest import RunningServer, make_config
from gateway.errors import HTTP_STATUS
from llamastack.agents.v1alpha import agents_pb2, agents_pb2_grpc
from llamastack.inference.v0 import inference_pb2 as chat_pb2
from llamastack.inference.v0 import inference_pb2_grpc as chat_grpc
from llamastack.telemetry.v1alpha import telemetry_pb2, telemetry_pb2_grpc
from llamastack_grpc import http_bindings
from llamastack_grpc.jsonmap import from_json, to_json
from server.inference.models import bundled_embedding_checkpoint

SHIELDS = [{"id": "no-passwords", "type": "pattern", "patterns": [
    {"pattern": r"\bpassword\b", "category": "secrets", "level": "error", "message": "No."}]}]
SERVICE = telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"]
BINDINGS = {b.method.name: b for b in http_bindings(SERVICE) if b.path.startswith("/v1alpha/")}
CHAT = {"model": "tiny-llama", "messages": [{"role": "user", "text": "hello there"}], "options": {"max_tokens": 6}}


def new_traceparent() -> tuple[str, str, str]:
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


# ---------------------------------------------------------------- the two protocols


class Rest:
    name = "rest"

    def __init__(self, server):
        self.http = server.http

    def call(self, rpc: str, body: dict) -> tuple[int, dict | None]:
        binding, body = BINDINGS[rpc], dict(body)
        path = re.sub(r"\{(\w+)\}", lambda m: body.pop(m.group(1)), binding.path)
        response = self.http.get(path) if binding.verb == "GET" else self.http.post(path, json=body)
        return response.status_code, response.json() if response.content else None


class Grpc:
    name = "grpc"

    def __init__(self, server):
        self.channel = server.channel

    def call(self, rpc: str, body: dict) -> tuple[int, dict | None]:
        method = SERVICE.methods_by_name[rpc]
        request = from_json(body, message_factory.GetMessageClass(method.input_type))
        response_type = message_factory.GetMessageClass(method.output_type)
        stub = self.channel.unary_unary(f"/{SERVICE.full_name}/{rpc}",
                                        request_serializer=type(request).SerializeToString,
                                        response_deserializer=response_type.FromString)
        try:
            response = stub(request, timeout=60)
        except grpc.RpcError as error:
            return HTTP_STATUS[error.code()], {"detail": error.details()}
        return 200, to_json(response)


def ok(api, rpc: str, body: dict) -> dict:
    status, answer = api.call(rpc, body)
    assert status == 200, (api.name, rpc, body, answer)
    return answer


# ---------------------------------------------------------------- the traffic


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_llm):
    data_dir = tmp_path_factory.mktemp("telemetry")
    (data_dir / "files").mkdir()
    models = [{"id": "tiny-llama", "checkpoint": str(tiny_llm)},
              {"id": "all-MiniLM-L6-v2", "checkpoint": bundled_embedding_checkpoint(), "kind": "embedding"}]
    running = RunningServer(make_config(data_dir, models=models, shields=SHIELDS))
    yield running
    running.stop()


@pytest.fixture(params=["grpc", "rest"])
def api(request, server):
    return Grpc(server) if request.param == "grpc" else Rest(server)


@pytest.fixture(scope="module")
def traffic(server):
    """What the tests look up: the traces it started, and the answers it got."""
    seen = {}
    # A unary chat over gRPC, continuing the caller's trace.
    trace_id, parent, header = new_traceparent()
    call = chat_grpc.InferenceServiceStub(server.channel).ChatCompletion.with_call(
        from_json(CHAT, chat_pb2.ChatCompletionRequest), metadata=(("traceparent", header),), timeout=120)
    seen["grpc_chat"] = {"trace_id": trace_id, "parent": parent, "usage": call[0].usage,
                         "traceresponse": dict(call[1].trailing_metadata())["traceresponse"]}
    # A streamed chat over REST, continuing another.
    trace_id, parent, header = new_traceparent()
    with server.http.stream("POST", "/inference/stream", json=CHAT,
                            headers={"traceparent": header}) as response:
        assert response.status_code == 200
        frames = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
        seen["rest_chat"] = {"trace_id": trace_id, "parent": parent, "usage": frames[-1]["usage"],
                             "traceresponse": response.headers["traceresponse"]}
    # A vector store filled by an insert job, and an agent turn that searches it.
    store = server.http.post("/vector_store/create", json={"name": "kb"}).json()["id"]
    documents = [{"document_id": "paris", "content": "Paris is the capital of France."},
                 {"document_id": "nile", "content": "The Nile is a river in Africa."}]
    job = server.http.post("/vector_store/insert/jobs/submit", json={"vector_store_id": store,
                                                                     "documents": documents}).json()["id"]
    wait_until(lambda: server.http.get("/vector_store/insert/jobs/status", params={"job_id": job}).json()["status"]
               == "completed", timeout=60, message="the insert job")
    agents = agents_pb2_grpc.AgentsServiceStub(server.channel)
    agent = agents.CreateAgent(from_json({"agent_config": {
        "model": "tiny-llama", "instructions": "Be terse.", "input_shields": ["no-passwords"],
        "toolgroups": [{"name": "builtin::rag", "args": {"vector_db_ids": [store]}}],
        "tool_config": {"tool_choice": "required"}, "max_infer_iters": 1,
        "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 200}}}, agents_pb2.CreateAgentRequest),
        timeout=30).agent_id
    session = agents.CreateAgentSession(agents_pb2.CreateAgentSessionRequest(agent_id=agent, session_name="s"),
                                        timeout=30).session_id
    chunks = list(agents.CreateAgentTurn(from_json({"agent_id": agent, "session_id": session, "messages": [
        {"role": "user", "content": "capital of France"}]}, agents_pb2.CreateAgentTurnRequest), timeout=120))
    seen["turn"] = to_json(chunks[-1])["event"]["payload"]["turn"]
    seen["job"] = job
    # The REST request's span ends after its answer went out: wait until it is stored.
    wait_until(lambda: Rest(server).call("GetTrace", {"trace_id": seen["rest_chat"]["trace_id"]})[1].get(
        "root_span_id") and len(tree(Rest(server), seen["rest_chat"]["trace_id"])) >= 2, message="the REST trace")
    return seen


def tree(api, trace_id: str, **extra) -> dict[str, dict]:
    root = ok(api, "GetTrace", {"trace_id": trace_id})["root_span_id"]
    return ok(api, "GetSpanTree", {"span_id": root, **extra})["data"]


def by_name(spans: dict[str, dict], name: str) -> list[dict]:
    return [span for span in spans.values() if span["name"] == name]


def everything(api) -> dict[str, dict[str, dict]]:
    """The spans (trace id -> span id -> span) of every trace but those of telemetry queries
    (which the tests keep adding), read through the trees."""
    traces = ok(api, "QueryTraces", {"limit": 1000, "attribute_filters": [
        {"key": "rpc.service", "op": "ne", "value": SERVICE.full_name}]})["data"]
    out = {}
    for trace in traces:
        spans = ok(api, "GetSpanTree", {"span_id": trace["root_span_id"]})["data"]
        out[trace["trace_id"]] = spans
    return out


# ---------------------------------------------------------------- traces across services


def test_grpc_traceparent_continues_the_callers_trace(api, traffic):
    chat = traffic["grpc_chat"]
    assert chat["traceresponse"].startswith(f"00-{chat['trace_id']}-")
    trace = ok(api, "GetTrace", {"trace_id": chat["trace_id"]})
    spans = tree(api, chat["trace_id"])
    root = spans[trace["root_span_id"]]
    assert root["name"] == "llamastack.inference.v0.InferenceService/ChatCompletion"
    assert root["parent_span_id"] == chat["parent"]  # the caller's span
    assert root["attributes"]["rpc.system"] == "grpc" and root["status"] == "ok"
    (inference,) = by_name(spans, "inference.chat")
    assert inference["parent_span_id"] == root["span_id"]
    usage = chat["usage"]
    assert inference["attributes"]["model_id"] == "tiny-llama"
    assert inference["attributes"]["prompt_tokens"] == usage.input_tokens
    assert inference["attributes"]["completion_tokens"] == usage.output_tokens
    assert inference["attributes"]["total_tokens"] == usage.total_tokens
    assert inference["attributes"]["time_to_first_token_s"] > 0
    assert trace["start_time"] <= inference["start_time"] and inference["end_time"] <= trace["end_time"]


def test_rest_traceparent_continues_the_callers_trace(api, traffic):
    chat = traffic["rest_chat"]
    assert chat["traceresponse"].startswith(f"00-{chat['trace_id']}-")
    spans = tree(api, chat["trace_id"])
    (gateway,) = by_name(spans, "POST /inference/stream")
    assert gateway["parent_span_id"] == chat["parent"]
    assert chat["traceresponse"].split("-")[2] == gateway["span_id"]
    assert gateway["attributes"]["http.response.status_code"] == 200
    assert gateway["attributes"]["http.route"] == "/inference/stream"
    # The RPC the gateway relays in process is traced in the request's span, not in a child.
    assert gateway["attributes"]["rpc.method"] == "StreamChatCompletion"
    assert gateway["attributes"]["rpc.grpc.status_code"] == grpc.StatusCode.OK.value[0]
    assert not by_name(spans, "llamastack.inference.v0.InferenceService/StreamChatCompletion")
    (inference,) = by_name(spans, "inference.chat")
    assert inference["parent_span_id"] == gateway["span_id"]
    assert inference["attributes"]["completion_tokens"] == chat["usage"]["output_tokens"]


def test_agent_turn_tree_holds_steps_tools_shields_and_vector_queries(api, traffic):
    turn = traffic["turn"]
    (found,) = ok(api, "QueryTraces", {"attribute_filters": [
        {"key": "turn_id", "op": "eq", "value": turn["turn_id"]}]})["data"]
    spans = tree(api, found["trace_id"])
    parent_of = {s["span_id"]: spans.get(s.get("parent_span_id", ""), {}).get("name") for s in spans.values()}
    (turn_span,) = by_name(spans, "agent.turn")
    assert turn_span["attributes"]["turn_id"] == turn["turn_id"]
    assert turn_span["attributes"]["session_id"] == turn["session_id"]
    assert parent_of[turn_span["span_id"]] == "llamastack.agents.v1alpha.AgentsService/CreateAgentTurn"
    (shield,) = by_name(spans, "shield.check")
    assert shield["attributes"] == {"shield_id": "no-passwords", "violation_level": "none"}
    assert parent_of[shield["span_id"]] == "agent.turn"
    steps = {s["attributes"]["step_type"]: s for s in by_name(spans, "agent.step")}
    assert set(steps) == {"inference", "tool_execution"}
    step_ids = {step["step_id"] for step in turn["steps"]}
    assert {s["attributes"]["step_id"] for s in steps.values()} <= step_ids
    (chat,) = by_name(spans, "inference.chat")
    assert chat["parent_span_id"] == steps["inference"]["span_id"]
    (tool,) = by_name(spans, "tool.invoke")
    assert tool["parent_span_id"] == steps["tool_execution"]["span_id"]
    assert tool["attributes"]["tool_name"] == "knowledge_search" and tool["attributes"]["error"] is False
    (search,) = by_name(spans, "vector_store.search")
    assert search["parent_span_id"] == tool["span_id"] and search["attributes"]["results"] >= 1
    (embedding,) = by_name(spans, "inference.embeddings")
    assert embedding["parent_span_id"] == search["span_id"]
    assert embedding["attributes"]["model_id"] == "all-MiniLM-L6-v2"


def test_job_runs_are_spans_of_the_submitting_request(api, traffic):
    (found,) = ok(api, "QueryTraces", {"attribute_filters": [
        {"key": "job_id", "op": "eq", "value": traffic["job"]}]})["data"]
    spans = tree(api, found["trace_id"])
    (job,) = by_name(spans, "job.run")
    assert job["attributes"]["job_state"] == "completed" and job["attributes"]["job_kind"]
    # Submitted over REST: the RPC is traced in the request's span.
    assert spans[job["parent_span_id"]]["attributes"]["rpc.method"] == "SubmitVectorStoreInsertJob"
    assert by_name(spans, "inference.embeddings")


# ---------------------------------------------------------------- spans, trees, depth


def test_get_span_and_depth_limits(api, traffic):
    chat = traffic["rest_chat"]
    spans = tree(api, chat["trace_id"])
    (inference,) = by_name(spans, "inference.chat")
    span = ok(api, "GetSpan", {"trace_id": chat["trace_id"], "span_id": inference["span_id"]})
    assert span == {k: v for k, v in inference.items() if k != "status"}
    root = ok(api, "GetTrace", {"trace_id": chat["trace_id"]})["root_span_id"]
    assert list(tree(api, chat["trace_id"], max_depth=1)) == [root]
    two = tree(api, chat["trace_id"], max_depth=2)
    assert set(two) == {root} | {s["span_id"] for s in spans.values() if s.get("parent_span_id") == root}
    trimmed = tree(api, chat["trace_id"], attributes_to_return=["model_id"])
    assert trimmed[inference["span_id"]]["attributes"] == {"model_id": "tiny-llama"}
    assert trimmed[root].get("attributes", {}) == {}
    # A subtree, asked for by an inner span.
    below = ok(api, "GetSpanTree", {"span_id": inference["parent_span_id"]})["data"]
    assert set(below) == {inference["parent_span_id"], inference["span_id"]}


def test_query_spans_filters_attributes_and_depth(api, traffic):
    stored = everything(api)
    body = {"attribute_filters": [{"key": "model_id", "op": "eq", "value": "tiny-llama"}],
            "attributes_to_return": ["prompt_tokens", "model_id"]}
    spans = ok(api, "QuerySpans", body)["data"]
    expected = {(t, s) for t, tr in stored.items() if any(x.get("attributes", {}).get("model_id") == "tiny-llama"
                                                           for x in tr.values())
                for s, x in tr.items() if {"prompt_tokens", "model_id"} <= set(x.get("attributes", {}))}
    assert {(s["trace_id"], s["span_id"]) for s in spans} == expected and expected
    assert all(set(s["attributes"]) == {"prompt_tokens", "model_id"} for s in spans)
    roots = ok(api, "QuerySpans", {**body, "attributes_to_return": [], "max_depth": 1})["data"]
    assert {s["span_id"] for s in roots} == {ok(api, "GetTrace", {"trace_id": t})["root_span_id"]
                                             for t, _ in expected}


def test_save_spans_to_dataset_writes_rows_the_datasets_api_reads(api, server, traffic):
    dataset = f"spans-{api.name}"
    registered = server.http.post("/v1beta/datasets", json={"dataset_id": dataset, "purpose": "eval/question-answer",
                                                             "source": {"type": "rows", "rows": []}})
    assert registered.status_code == 200, registered.text
    ok(api, "SaveSpansToDataset", {"attribute_filters": [{"key": "model_id", "op": "eq", "value": "tiny-llama"}],
                                   "attributes_to_save": ["model_id", "completion_tokens"], "dataset_id": dataset})
    rows = server.http.get(f"/v1beta/datasetio/iterrows/{dataset}").json()["data"]
    spans = ok(api, "QuerySpans", {"attribute_filters": [{"key": "model_id", "op": "eq", "value": "tiny-llama"}],
                                   "attributes_to_return": ["model_id", "completion_tokens"]})["data"]
    assert sorted(r["span_id"] for r in rows) == sorted(s["span_id"] for s in spans)
    for row in rows:
        assert set(row) == {"trace_id", "span_id", "parent_span_id", "name", "start_time", "end_time", "model_id",
                            "completion_tokens"}
        assert row["model_id"] == "tiny-llama" and row["name"] == "inference.chat"
    status, answer = api.call("SaveSpansToDataset", {"attribute_filters": [], "attributes_to_save": [],
                                                     "dataset_id": "no-such-dataset"})
    assert status == 404 and "no-such-dataset" in answer["detail"]


# ---------------------------------------------------------------- trace queries


def _kind(value) -> str:
    return "bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float)) else "string"


def _satisfies(value, op: str, wanted) -> bool:
    same = _kind(value) == _kind(wanted)
    if op in ("eq", "ne"):
        return (same and value == wanted) == (op == "eq")
    if not same or _kind(value) == "bool":
        return False
    return value > wanted if op == "gt" else value < wanted


@pytest.mark.parametrize("key, op, value", [
    ("model_id", "eq", "tiny-llama"), ("model_id", "ne", "tiny-llama"), ("prompt_tokens", "gt", 5.0),
    ("completion_tokens", "lt", 7.0), ("tool_name", "gt", "a"), ("model_id", "lt", "u"), ("error", "eq", False),
])
def test_query_traces_filters(api, traffic, key, op, value):
    stored = everything(api)
    expected = {trace for trace, spans in stored.items()
                if any(key in s.get("attributes", {}) and _satisfies(s["attributes"][key], op, value)
                       for s in spans.values())}
    found = ok(api, "QueryTraces", {"attribute_filters": [{"key": key, "op": op, "value": value}], "limit": 1000})
    assert {t["trace_id"] for t in found["data"]} == expected and expected


def test_query_traces_filters_hold_on_one_span(api, traffic):
    # Each filter holds on some span of the chat traces, but no single span has both.
    both = [{"key": "rpc.system", "op": "eq", "value": "grpc"}, {"key": "model_id", "op": "eq", "value": "tiny-llama"}]
    assert ok(api, "QueryTraces", {"attribute_filters": both})["data"] == []


def test_query_traces_order_and_paging(api, traffic):
    # The traces that did inference: later queries add traces of their own, but none of these.
    some = {"attribute_filters": [{"key": "model_id", "op": "ne", "value": "none"}], "limit": 1000}
    newest = ok(api, "QueryTraces", some)["data"]
    assert len(newest) >= 4
    assert newest == sorted(newest, key=lambda t: t["start_time"], reverse=True)
    oldest = ok(api, "QueryTraces", {**some, "order_by": ["start_time"]})["data"]
    assert oldest == newest[::-1]
    by_id = ok(api, "QueryTraces", {**some, "order_by": ["-trace_id"]})["data"]
    assert [t["trace_id"] for t in by_id] == sorted((t["trace_id"] for t in newest), reverse=True)
    by_end = ok(api, "QueryTraces", {**some, "order_by": ["end_time", "-trace_id"]})["data"]
    assert [t["end_time"] for t in by_end] == sorted(t["end_time"] for t in newest)
    pages = [ok(api, "QueryTraces", {**some, "limit": 2, "offset": offset, "order_by": ["start_time"]})["data"]
             for offset in range(0, len(oldest) + 2, 2)]
    assert [t for page in pages for t in page] == oldest
    # Without filters, the age index pages the same way.
    everyone = ok(api, "QueryTraces", {"limit": 3, "order_by": ["start_time"]})["data"]
    assert everyone == ok(api, "QueryTraces", {"limit": 1000, "order_by": ["start_time"]})["data"][:3]
    assert ok(api, "QueryTraces", {"limit": 2, "offset": 1, "order_by": ["start_time"]})["data"] == everyone[1:3]


# ---------------------------------------------------------------- metrics


def _total(api, metric: str, start: int, **extra) -> float:
    series = ok(api, "QueryMetrics", {"metric_name": metric, "start_time": start, "query_type": "instant",
                                      "end_time": int(time.time()) + 60, **extra})["data"]
    return sum(point["value"] for s in series for point in s["values"])


def test_metrics_count_exactly(api, server, traffic):
    start = int(time.time()) - 3600
    model = {"label_matchers": [{"name": "model_id", "value": "tiny-llama", "operator": "="}]}
    before = {m: _total(api, m, start, **model) for m in ("prompt_tokens", "completion_tokens", "total_tokens")}
    usage = chat_grpc.InferenceServiceStub(server.channel).ChatCompletion(
        from_json(CHAT, chat_pb2.ChatCompletionRequest), timeout=120).usage
    after = {m: _total(api, m, start, **model) for m in before}
    assert after["prompt_tokens"] - before["prompt_tokens"] == usage.input_tokens
    assert after["completion_tokens"] - before["completion_tokens"] == usage.output_tokens
    assert after["total_tokens"] - before["total_tokens"] == usage.total_tokens
    # Buckets: every minute's and every hour's points add up to the same sum, in order.
    for granularity in ("1m", "1h"):
        (series,) = ok(api, "QueryMetrics", {"metric_name": "total_tokens", "start_time": start, "query_type": "range",
                                             "granularity": granularity, **model})["data"]
        assert series["labels"] == [{"name": "model_id", "value": "tiny-llama"}]
        stamps = [p["timestamp"] for p in series["values"]]
        assert stamps == sorted(stamps) and all(s % (60 if granularity == "1m" else 3600) == 0 for s in stamps)
        assert sum(p["value"] for p in series["values"]) == after["total_tokens"]
        assert {p["unit"] for p in series["values"]} == {"tokens"}


def test_request_metrics_by_method(api, server, traffic):
    start = int(time.time()) - 3600
    method = {"label_matchers": [{"name": "method", "value": r".*/GetTrace", "operator": "=~"},
                                 {"name": "code", "value": "OK", "operator": "="}]}
    before = _total(api, "requests", start, **method)
    for _ in range(3):
        Rest(server).call("GetTrace", {"trace_id": traffic["grpc_chat"]["trace_id"]})
    assert _total(api, "requests", start, **method) - before == 3
    latency = ok(api, "QueryMetrics", {"metric_name": "request_latency_seconds", "start_time": start,
                                       "query_type": "instant", "label_matchers": method["label_matchers"][:1]})["data"]
    (series,) = latency
    assert series["values"][0]["value"] > 0 and series["values"][0]["unit"] == "s"
    others = ok(api, "QueryMetrics", {"metric_name": "requests", "start_time": start, "query_type": "instant",
                                      "label_matchers": [{"name": "method", "value": r".*/GetTrace",
                                                          "operator": "!~"}]})["data"]
    assert others and all(not {label["name"]: label["value"] for label in s["labels"]}["method"].endswith("/GetTrace")
                          for s in others)


# ---------------------------------------------------------------- errors


def test_a_grpc_error_carries_its_trace_id_and_its_details(server):
    stub = telemetry_pb2_grpc.TelemetryServiceStub(server.channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetTrace(telemetry_pb2.GetTraceRequest(trace_id="not-hex"), timeout=30)
    trailers = dict(caught.value.trailing_metadata())
    trace_id = trailers["traceresponse"].split("-")[1]
    status = rpc_status.from_call(caught.value)  # the error details travel beside it
    assert status is not None and status.details
    spans = tree(Grpc(server), trace_id)
    (rpc,) = spans.values()
    assert rpc["name"].endswith("/GetTrace") and rpc["status"] == "error"
    assert rpc["attributes"]["rpc.grpc.status_code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert rpc["attributes"]["error.message"].startswith("trace_id:")


@pytest.mark.parametrize("rpc, body, status, field", [
    ("GetTrace", {"trace_id": "0" * 32}, 404, None),
    ("GetTrace", {"trace_id": "not-hex"}, 400, "trace_id"),
    ("GetSpan", {"trace_id": "0" * 32, "span_id": "1" * 16}, 404, None),
    ("GetSpanTree", {"span_id": "2" * 16}, 404, None),
    ("GetSpanTree", {"span_id": "2" * 16, "max_depth": 0}, 400, "max_depth"),
    ("QueryTraces", {"attribute_filters": [{"key": "a", "op": "eq", "value": [1]}]}, 400, "attribute_filters[0].value"),
    ("QueryTraces", {"attribute_filters": [{"key": "a", "op": "gt", "value": True}]}, 400,
     "attribute_filters[0].value"),
    ("QueryTraces", {"attribute_filters": [{"key": "a", "op": "eq"}]}, 400, "attribute_filters[0].value"),
    ("QueryTraces", {"order_by": ["start_time", "colour"]}, 400, "order_by[1]"),
    ("QueryTraces", {"limit": 0}, 400, "limit"),
    ("QueryTraces", {"offset": -1}, 400, "offset"),
    ("QuerySpans", {"attribute_filters": [{"key": "a", "op": "lt", "value": None}], "attributes_to_return": []}, 400,
     "attribute_filters[0].value"),
    ("QueryMetrics", {"metric_name": "colour", "start_time": 1, "query_type": "range"}, 400, "metric_name"),
    ("QueryMetrics", {"metric_name": "requests", "start_time": 1, "query_type": "range", "granularity": "5x"}, 400,
     "granularity"),
    ("QueryMetrics", {"metric_name": "requests", "start_time": 1, "query_type": "range", "granularity": "30s"}, 400,
     "granularity"),
    ("QueryMetrics", {"metric_name": "requests", "start_time": 1, "query_type": "range"}, 400, "granularity"),
    ("QueryMetrics", {"metric_name": "requests", "start_time": 100, "end_time": 10, "query_type": "instant"}, 400,
     "end_time"),
    ("QueryMetrics", {"metric_name": "requests", "start_time": 1, "query_type": "instant", "label_matchers": [
        {"name": "method", "value": "(", "operator": "=~"}]}, 400, "label_matchers[0].value"),
])
def test_bad_requests_name_the_field(api, rpc, body, status, field):
    got, answer = api.call(rpc, body)
    assert got == status, answer
    if field:
        assert answer["detail"].startswith(f"{field}:"), answer


def test_bad_operator_is_400_naming_the_field(api):
    if api.name == "rest":
        got, answer = api.call("QueryTraces", {"attribute_filters": [{"key": "a", "op": "like", "value": 1}]})
        assert got == 400 and answer["detail"].startswith("attribute_filters[0].op"), answer
        return
    request = telemetry_pb2.QueryTracesRequest(attribute_filters=[telemetry_pb2.QueryCondition(key="a", op=9)])
    request.attribute_filters[0].value.number_value = 1
    with pytest.raises(grpc.RpcError) as caught:
        api.channel.unary_unary(f"/{SERVICE.full_name}/QueryTraces",
                                request_serializer=telemetry_pb2.QueryTracesRequest.SerializeToString)(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("attribute_filters[0].op"), caught.value.details()


# ---------------------------------------------------------------- Prometheus


def _samples(server) -> dict[tuple, float]:
    response = server.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def test_prometheus_metrics_parse_and_move_with_traffic(server, traffic):
    labels = (("grpc_method", "GetTrace"), ("grpc_service", SERVICE.full_name), ("grpc_type", "unary"))
    handled = ("grpc_server_handled_total", tuple(sorted(labels + (("grpc_code", "OK"),))))
    before = _samples(server)
    for _ in range(2):
        Rest(server).call("GetTrace", {"trace_id": traffic["grpc_chat"]["trace_id"]})
    Rest(server).call("GetTrace", {"trace_id": "0" * 32})
    after = _samples(server)
    assert after[handled] - before.get(handled, 0) == 2
    not_found = ("grpc_server_handled_total", tuple(sorted(labels + (("grpc_code", "NOT_FOUND"),))))
    assert after[not_found] - before.get(not_found, 0) == 1
    started = ("grpc_server_started_total", labels)
    assert after[started] - before.get(started, 0) == 3
    assert after[("grpc_server_handling_seconds_count", labels)] - before.get(
        ("grpc_server_handling_seconds_count", labels), 0) == 3
    assert after[("grpc_server_in_flight_calls", labels)] == 0
    model = (("model_id", "tiny-llama"),)
    assert after[("llama_stack_generated_tokens_total", model)] >= traffic["grpc_chat"]["usage"].output_tokens
    assert after[("llama_stack_time_to_first_token_seconds_count", model)] >= 2
    assert after[("llama_stack_batch_size", model)] == 0 and ("llama_stack_queue_depth", model) in after
    kinds = {dict(k[1])["kind"] for k in after if k[0] == "llama_stack_jobs"}
    assert kinds and any(after[("llama_stack_jobs", (("kind", kind), ("state", "completed")))] >= 1 for kind in kinds)
