"""Agents with the tiny random model, over gRPC and over REST/SSE. Constrained decoding
keeps forced tool calls well-formed even with random weights; one orchestration test
(the code interpreter) scripts the model's answer, since random weights cannot write
the code it needs, and the sandbox itself is tested for real in test_sandbox.py."""
from __future__ import annotations

import json
import signal
import threading

import grpc
import pytest

from _client import PROTOCOLS, Client
from _serve import Cli
from _wait import wait_job, wait_until
from conftest import RunningServer, inference_models, make_config
from llamastack.agents.v0 import agents_pb2 as draft_agents_pb2
from llamastack.agents.v0 import agents_pb2_grpc as draft_agents_pb2_grpc
from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.agents.v1alpha import agents_pb2_grpc
from llamastack_grpc.jsonmap import from_json, to_json
from server.inference.engines.base import Engine, TokenEvent
from server.inference.specs import ModelSpec

SHIELDS = [{"id": "no-passwords", "type": "pattern", "patterns": [
    {"pattern": r"\bpassword\b", "category": "secrets", "level": "error",
     "message": "I cannot help with passwords."}]}]
GREEDY = {"strategy": {"type": "greedy"}, "max_tokens": 8}
CLOCK = {"name": "get_time", "description": "the time in a zone", "input_schema": {
    "type": "object", "properties": {"zone": {"type": "string", "maxLength": 8}}, "required": ["zone"]}}


@pytest.fixture(scope="module")
def agents_server(tmp_path_factory, tiny_llm, tiny_reward_model):
    data_dir = tmp_path_factory.mktemp("agents")
    (data_dir / "files").mkdir()
    (data_dir / "secret.txt").write_text("the-data-dir-secret")
    running = RunningServer(make_config(data_dir, models=inference_models(tiny_llm, tiny_reward_model),
                                        shields=SHIELDS))
    yield running
    running.stop()


# ---------------------------------------------------------------- the calls, over either protocol

AGENTS = "llamastack.agents.v1alpha.AgentsService/"


class AgentsApi:
    """The agent calls these tests make, over tests/_client.py's dual-protocol Client: turns
    stream (SSE over REST, the server stream over gRPC), answers are the spec's JSON."""

    def __init__(self, server, protocol: str):
        self.name = protocol
        self.client = Client(server, protocol)

    def create_agent(self, **config) -> str:
        return self.client.call(AGENTS + "CreateAgent", {"agent_config": {
            "model": "tiny-llama", "instructions": "You are terse.", "sampling_params": GREEDY, **config}},
            timeout=30)["agent_id"]

    def create_session(self, agent_id: str) -> str:
        return self.client.call(AGENTS + "CreateAgentSession", {"agent_id": agent_id, "session_name": "s"},
                                timeout=30)["session_id"]

    def turn(self, agent_id, session_id, text, **extra) -> list[dict]:
        return self.client.stream(AGENTS + "CreateAgentTurn", {
            "agent_id": agent_id, "session_id": session_id, "messages": [{"role": "user", "content": text}],
            **extra})

    def resume(self, agent_id, session_id, turn_id, responses) -> list[dict]:
        return self.client.stream(AGENTS + "ResumeAgentTurn", {
            "agent_id": agent_id, "session_id": session_id, "turn_id": turn_id, "tool_responses": responses})


@pytest.fixture(params=PROTOCOLS)
def api(request, agents_server):
    return AgentsApi(agents_server, request.param)


def payloads(events: list[dict]) -> list[dict]:
    return [e["event"]["payload"] for e in events]


def kinds(events: list[dict]) -> list[str]:
    return [p["event_type"] for p in payloads(events)]


def steps_of(turn: dict, step_type: str) -> list[dict]:
    return [s for s in turn["steps"] if s["step_type"] == step_type]


# ---------------------------------------------------------------- plain turns


def test_plain_turn_event_order_and_turn_shape(api):
    agent = api.create_agent()
    session = api.create_session(agent)
    events = api.turn(agent, session, "hello")
    order = kinds(events)
    assert order[0] == "turn_start" and order[1] == "step_start" and order[-1] == "turn_complete"
    assert order[-2] == "step_complete"
    assert set(order[2:-2]) <= {"step_progress"} and order.count("step_progress") >= 1
    progress = [p for p in payloads(events) if p["event_type"] == "step_progress"]
    assert all(p["delta"]["type"] == "text" for p in progress)
    turn = payloads(events)[-1]["turn"]
    assert turn["turn_id"] == payloads(events)[0]["turn_id"] and turn["session_id"] == session
    assert turn["input_messages"] == [{"role": "user", "content": "hello"}]
    (step,) = turn["steps"]
    assert step["step_type"] == "inference" and step["turn_id"] == turn["turn_id"]
    text = "".join(p["delta"]["text"] for p in progress)
    assert turn["output_message"]["role"] == "assistant" and turn["output_message"]["content"] == text
    assert turn["started_at"] <= turn["completed_at"]


def test_non_streamed_turn_answers_the_turn(agents_server):
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent()
    session = rest.create_session(agent)
    response = agents_server.http.post(f"/v1alpha/agents/{agent}/session/{session}/turn",
                                       json={"messages": [{"role": "user", "content": "hi"}], "stream": False})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    turn = response.json()
    assert turn["output_message"]["role"] == "assistant" and turn["steps"][0]["step_type"] == "inference"
    stored = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}/turn/{turn['turn_id']}")
    assert stored.json() == turn
    step_id = turn["steps"][0]["step_id"]
    step = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}/turn/{turn['turn_id']}/step/{step_id}")
    assert step.json() == {"step": turn["steps"][0]}
    session_json = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}").json()
    assert [t["turn_id"] for t in session_json["turns"]] == [turn["turn_id"]]


def test_second_turn_sees_the_first_in_its_history(agents_server):
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent()
    session = rest.create_session(agent)
    first = payloads(rest.turn(agent, session, "one"))[-1]["turn"]
    second = payloads(rest.turn(agent, session, "two"))[-1]["turn"]
    listed = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}").json()["turns"]
    assert [t["turn_id"] for t in listed] == [first["turn_id"], second["turn_id"]]
    only = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}",
                                  params={"turn_ids": second["turn_id"]}).json()["turns"]
    assert [t["turn_id"] for t in only] == [second["turn_id"]]


# ---------------------------------------------------------------- tools


def test_client_tool_pauses_and_resume_continues_the_same_turn(api):
    agent = api.create_agent(client_tools=[CLOCK], max_infer_iters=1,
                             sampling_params={**GREEDY, "max_tokens": 60})
    session = api.create_session(agent)
    events = api.turn(agent, session, "what time is it", tool_config={"tool_choice": "required"})
    assert kinds(events)[-1] == "turn_awaiting_input"
    progress = [p["delta"] for p in payloads(events) if p["event_type"] == "step_progress"]
    assert progress[0]["parse_status"] == "started" and progress[-1]["parse_status"] == "succeeded"
    turn = payloads(events)[-1]["turn"]
    (call,) = steps_of(turn, "inference")[0]["model_response"]["tool_calls"]
    assert call["tool_name"] == "get_time" and isinstance(json.loads(call["arguments"])["zone"], str)
    resumed = api.resume(agent, session, turn["turn_id"], [
        {"call_id": call["call_id"], "tool_name": "get_time", "content": "12:00 UTC"}])
    assert kinds(resumed)[:2] == ["step_start", "step_complete"]
    assert payloads(resumed)[0]["step_type"] == "tool_execution"
    final = payloads(resumed)[-1]
    assert final["event_type"] == "turn_complete" and final["turn"]["turn_id"] == turn["turn_id"]
    (execution,) = steps_of(final["turn"], "tool_execution")
    assert execution["tool_calls"] == [call]
    assert execution["tool_responses"][0]["content"] == "12:00 UTC"


@pytest.mark.parametrize("prompt_format, opener", [("function_tag", "<function=get_time>"),
                                                   ("python_list", "[get_time(zone=")])
def test_tool_prompt_format_streams_the_call_in_that_format(api, prompt_format, opener):
    agent = api.create_agent(client_tools=[CLOCK], max_infer_iters=1, sampling_params={**GREEDY, "max_tokens": 60},
                             tool_config={"tool_choice": "required", "tool_prompt_format": prompt_format})
    session = api.create_session(agent)
    events = api.turn(agent, session, "what time is it")
    assert kinds(events)[-1] == "turn_awaiting_input"
    progress = [p["delta"] for p in payloads(events) if p["event_type"] == "step_progress"]
    assert progress[0]["parse_status"] == "started" and progress[-1]["parse_status"] == "succeeded"
    written = "".join(d["tool_call"] for d in progress if d["parse_status"] == "in_progress")
    assert written.startswith(opener), written
    (call,) = steps_of(payloads(events)[-1]["turn"], "inference")[0]["model_response"]["tool_calls"]
    assert call == progress[-1]["tool_call"]
    assert call["tool_name"] == "get_time" and isinstance(json.loads(call["arguments"])["zone"], str)


def test_resume_checks_the_turn_and_the_call_ids(agents_server):
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent()
    session = rest.create_session(agent)
    turn = payloads(rest.turn(agent, session, "hi"))[-1]["turn"]
    response = agents_server.http.post(
        f"/v1alpha/agents/{agent}/session/{session}/turn/{turn['turn_id']}/resume",
        json={"tool_responses": [{"call_id": "c", "tool_name": "t", "content": "x"}]})
    assert response.status_code == 400 and "not awaiting" in response.json()["detail"]


def test_tool_choice_none_makes_no_call(api):
    agent = api.create_agent(client_tools=[CLOCK], tool_config={"tool_choice": "none"})
    session = api.create_session(agent)
    turn = payloads(api.turn(agent, session, "what time is it"))[-1]["turn"]
    assert steps_of(turn, "tool_execution") == []
    assert all(not s["model_response"].get("tool_calls") for s in steps_of(turn, "inference"))


def _vector_store_with_documents(server) -> tuple[str, list[str]]:
    http = server.http
    store = http.post("/vector_store/create", json={"name": "kb"}).json()["id"]
    documents = [{"document_id": f"doc-{i}", "content": text} for i, text in enumerate(
        ["Paris is the capital of France.", "The Nile is a river in Africa.", "Python is a language."])]
    job = http.post("/vector_store/insert/jobs/submit", json={"vector_store_id": store, "documents": documents})
    assert job.status_code == 200, job.text
    job_id = job.json()["id"]
    finished = wait_job(lambda: http.get("/vector_store/insert/jobs/status", params={"job_id": job_id}).json(),
                        timeout=30)
    assert finished["status"] == "completed", finished
    return store, [d["document_id"] for d in documents]


def test_knowledge_search_turn_carries_document_ids(api, agents_server):
    store, document_ids = _vector_store_with_documents(agents_server)
    agent = api.create_agent(toolgroups=[{"name": "builtin::rag", "args": {"vector_db_ids": [store]}}],
                             tool_config={"tool_choice": "required"}, max_infer_iters=1,
                             sampling_params={**GREEDY, "max_tokens": 200})
    session = api.create_session(agent)
    events = api.turn(agent, session, "what is the capital of France")
    turn = payloads(events)[-1]["turn"]
    assert payloads(events)[-1]["event_type"] == "turn_complete"
    (execution,) = steps_of(turn, "tool_execution")
    assert execution["tool_calls"][0]["tool_name"] == "knowledge_search"
    (response,) = execution["tool_responses"]
    found = response["metadata"]["document_ids"]
    assert found and set(found) <= set(document_ids)
    assert any(f"document {d}" in response["content"] for d in found)


def test_max_infer_iters_bounds_the_loop(api, agents_server):
    store, _ = _vector_store_with_documents(agents_server)
    rest = api
    agent = rest.create_agent(toolgroups=[{"name": "builtin::rag", "args": {"vector_db_ids": [store]}}],
                              tool_config={"tool_choice": "required"}, max_infer_iters=3,
                              sampling_params={**GREEDY, "max_tokens": 200})
    session = rest.create_session(agent)
    turn = payloads(rest.turn(agent, session, "search"))[-1]["turn"]
    assert len(steps_of(turn, "inference")) == 3 and len(steps_of(turn, "tool_execution")) == 3


class _ScriptedEngine(Engine):
    """Answers every prompt with one fixed text (orchestration tests only); a text ending
    in FAIL raises after the rest has been streamed."""

    name = "scripted"

    def __init__(self, tokenizer, text: str):
        self._tokenizer, self.text = tokenizer, text

    @property
    def tokenizer(self):
        return self._tokenizer

    async def generate(self, request):
        text = self.text.removesuffix("FAIL")
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1 and not self.text.endswith("FAIL")
            yield TokenEvent(token_id=1, text=piece, finish_reason="stop" if last else None)
        if self.text.endswith("FAIL"):
            raise RuntimeError("the engine broke mid-answer")

    def close(self):
        pass


@pytest.fixture
def scripted(agents_server):
    """Serves a model id "scripted" whose answer the test sets, scripted(text): through the
    registry's own register/unregister, the seam for a model loaded elsewhere."""
    models = agents_server.app.models
    tokenizer = models.get("tiny-llama", ("llm",)).tokenizer

    def script(text: str):
        models.register(ModelSpec(id="scripted", checkpoint="scripted"), _ScriptedEngine(tokenizer, text))

    yield script
    if "scripted" in models:
        models.unregister("scripted")


def test_code_interpreter_turn_runs_in_the_sandbox(api, agents_server, scripted):
    data_dir = agents_server.config.data_dir
    code = (f"try:\n    print(open({str(data_dir / 'secret.txt')!r}).read())\nexcept Exception as e:\n"
            "    print('read refused', type(e).__name__)\nimport socket\ntry:\n"
            "    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept Exception as e:\n"
            "    print('socket refused', type(e).__name__)\nprint(6 * 7)")
    scripted(json.dumps({"name": "code_interpreter", "parameters": {"code": code}}))
    agent = api.create_agent(model="scripted", toolgroups=["builtin::code_interpreter"], max_infer_iters=1)
    session = api.create_session(agent)
    turn = payloads(api.turn(agent, session, "run it"))[-1]["turn"]
    (execution,) = steps_of(turn, "tool_execution")
    output = execution["tool_responses"][0]["content"]
    assert "the-data-dir-secret" not in output
    assert "read refused" in output and "socket refused" in output and "42" in output


def test_the_tiny_model_drives_a_real_code_interpreter_call(api):
    """No script: constrained decoding makes the random model's call well-formed, and
    whatever code it wrote runs in the sandbox and comes back as the tool response."""
    agent = api.create_agent(toolgroups=["builtin::code_interpreter"], tool_config={"tool_choice": "required"},
                             max_infer_iters=1, sampling_params={**GREEDY, "max_tokens": 1200})
    session = api.create_session(agent)
    turn = payloads(api.turn(agent, session, "print the answer"))[-1]["turn"]
    (inference,) = steps_of(turn, "inference")
    (call,) = inference["model_response"]["tool_calls"]
    assert call["tool_name"] == "code_interpreter" and isinstance(json.loads(call["arguments"])["code"], str)
    (execution,) = steps_of(turn, "tool_execution")
    (response,) = execution["tool_responses"]
    assert response["call_id"] == call["call_id"] and response["tool_name"] == "code_interpreter"
    assert isinstance(response["metadata"]["exit_code"], int) and response["metadata"]["timed_out"] is False


def test_an_error_after_the_stream_started_ends_it_with_a_status(agents_server, scripted):
    scripted("some words before it breaks FAIL")
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent(model="scripted")
    session = rest.create_session(agent)
    path = f"/v1alpha/agents/{agent}/session/{session}/turn"
    with agents_server.http.stream("POST", path, json={"messages": [{"role": "user", "content": "x"}],
                                                       "stream": True}) as response:
        lines = [line for line in response.iter_lines() if line]
    assert response.status_code == 200  # the stream had started when the error came
    assert lines[-2] == "event: error"
    error = json.loads(lines[-1].removeprefix("data: "))
    assert error["status"] == 500 and error["title"] == "Internal Server Error" and error["detail"]
    assert any('"step_progress"' in line for line in lines)
    stub = agents_pb2_grpc.AgentsServiceStub(agents_server.channel)
    call = stub.CreateAgentTurn(from_json({"agent_id": agent, "session_id": session, "messages": [
        {"role": "user", "content": "x"}]}, pb.CreateAgentTurnRequest), timeout=30)
    received = []
    with pytest.raises(grpc.RpcError) as caught:
        for chunk in call:
            received.append(chunk)
    assert received and caught.value.code() == grpc.StatusCode.INTERNAL
    turns = agents_server.http.get(f"/v1alpha/agents/{agent}/session/{session}").json()["turns"]
    assert len(turns) == 2 and all(t["completed_at"] for t in turns)


def test_documents_attached_to_a_turn_become_its_context(api, agents_server):
    (agents_server.config.data_dir / "files" / "notes.md").write_text("# Notes\n\nThe vault code is 4417.")
    agent = api.create_agent()
    session = api.create_session(agent)
    uri = (agents_server.config.data_dir / "files" / "notes.md").as_uri()
    events = api.turn(agent, session, "what is the code", documents=[
        {"content": "Inline fact: the sky is green.", "mime_type": "text/plain"},
        {"content": {"uri": uri}, "mime_type": "text/markdown"}])
    turn = payloads(events)[-1]["turn"]
    (memory,) = steps_of(turn, "memory_retrieval")
    assert "the sky is green" in memory["inserted_context"] and "4417" in memory["inserted_context"]
    assert "4417" in turn["input_messages"][0]["context"]


def test_document_outside_the_allowed_roots_is_refused(agents_server):
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent()
    session = rest.create_session(agent)
    response = agents_server.http.post(f"/v1alpha/agents/{agent}/session/{session}/turn", json={
        "messages": [{"role": "user", "content": "x"}], "stream": True,
        "documents": [{"content": {"uri": "file:///etc/passwd"}, "mime_type": "text/plain"}]})
    assert response.status_code == 400 and "documents[0].content.uri" in response.json()["detail"]


def test_cancelling_a_streamed_turn_stops_its_inference_and_fails_the_turn(api, agents_server):
    engine = agents_server.app.models.get("tiny-llama", ("llm",))
    agent = api.create_agent(sampling_params={"strategy": {"type": "greedy"}, "max_tokens": 100000})
    session = api.create_session(agent)
    with api.client.events(AGENTS + "CreateAgentTurn", {"agent_id": agent, "session_id": session, "messages": [
            {"role": "user", "content": "go on and on"}]}) as stream:
        turn_id = next(stream)["event"]["payload"]["turn_id"]
        for _ in range(3):
            next(stream)
    # leaving the stream (the gRPC call, or the SSE response) cancelled the call
    wait_until(lambda: engine.active_requests == 0, timeout=20, message="the turn's inference to stop")
    path = f"/v1alpha/agents/{agent}/session/{session}/turn/{turn_id}"
    # the turn is marked failed as its task unwinds, just after the engine let go
    turn = wait_until(lambda: (t := agents_server.http.get(path).json()).get("completed_at") and t, timeout=20,
                      message="the cancelled turn to be completed")
    assert len(turn["steps"]) <= 1


def test_get_turn_while_it_runs_shows_the_steps_so_far(agents_server):
    store, _ = _vector_store_with_documents(agents_server)
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent(toolgroups=[{"name": "builtin::rag", "args": {"vector_db_ids": [store]}}],
                              tool_config={"tool_choice": "required"}, max_infer_iters=2,
                              sampling_params={**GREEDY, "max_tokens": 200})
    session = rest.create_session(agent)
    path = f"/v1alpha/agents/{agent}/session/{session}/turn"
    seen = []
    with agents_server.http.stream("POST", path, json={"messages": [{"role": "user", "content": "x"}],
                                                       "stream": True}) as response:
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            payload = json.loads(line[6:])["event"]["payload"]
            if payload["event_type"] == "turn_start":
                turn_id = payload["turn_id"]
            if payload["event_type"] == "step_complete" and payload["step_type"] == "tool_execution":
                stored = agents_server.http.get(f"{path}/{turn_id}").json()
                seen.append([s["step_type"] for s in stored["steps"]])
    assert seen[0] == ["inference", "tool_execution"]


# ---------------------------------------------------------------- shields and errors


def test_input_shield_blocks_the_turn(api):
    agent = api.create_agent(input_shields=["no-passwords"])
    session = api.create_session(agent)
    events = api.turn(agent, session, "tell me the admin password")
    turn = payloads(events)[-1]["turn"]
    (shield,) = turn["steps"]
    assert shield["step_type"] == "shield_call"
    assert shield["violation"]["violation_level"] == "error"
    assert shield["violation"]["metadata"]["violation_type"] == "secrets"
    assert turn["output_message"]["content"] == "I cannot help with passwords."


def test_unknown_shield_or_toolgroup_is_rejected(agents_server):
    http = agents_server.http
    base = {"model": "tiny-llama", "instructions": "x"}
    bad_shield = http.post("/v1alpha/agents", json={"agent_config": {**base, "input_shields": ["nope"]}})
    assert bad_shield.status_code == 400 and "nope" in bad_shield.json()["detail"]
    bad_group = http.post("/v1alpha/agents", json={"agent_config": {**base, "toolgroups": ["builtin::nope"]}})
    assert bad_group.status_code == 400 and "builtin::nope" in bad_group.json()["detail"]
    bad_model = http.post("/v1alpha/agents", json={"agent_config": {**base, "model": "all-MiniLM-L6-v2"}})
    assert bad_model.status_code == 400


def test_unknown_ids_are_not_found(agents_server):
    http = agents_server.http
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent()
    session = rest.create_session(agent)
    for path in ["/v1alpha/agents/nope", f"/v1alpha/agents/{agent}/session/nope",
                 f"/v1alpha/agents/{agent}/session/{session}/turn/nope",
                 f"/v1alpha/agents/{agent}/session/{session}/turn/nope/step/nope"]:
        response = http.get(path)
        assert response.status_code == 404 and response.json()["status"] == 404, path
    stub = agents_pb2_grpc.AgentsServiceStub(agents_server.channel)
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.CreateAgentTurn(from_json({"agent_id": agent, "session_id": "nope", "messages": [
            {"role": "user", "content": "x"}]}, pb.CreateAgentTurnRequest), timeout=30))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_list_and_delete_agents_and_sessions(agents_server):
    http = agents_server.http
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent(name="listed")
    sessions = [rest.create_session(agent) for _ in range(3)]
    page = http.get(f"/v1alpha/agents/{agent}/sessions", params={"start_index": 1, "limit": 1}).json()
    assert page["has_more"] is True and [s["session_id"] for s in page["data"]] == [sessions[1]]
    everything = http.get(f"/v1alpha/agents/{agent}/sessions").json()
    assert [s["session_id"] for s in everything["data"]] == sessions and everything["has_more"] is False
    agents = http.get("/v1alpha/agents", params={"limit": -1}).json()["data"]
    assert agent in [a["agent_id"] for a in agents]
    assert http.delete(f"/v1alpha/agents/{agent}/session/{sessions[0]}").status_code == 200
    assert http.get(f"/v1alpha/agents/{agent}/session/{sessions[0]}").status_code == 404
    assert http.delete(f"/v1alpha/agents/{agent}").status_code == 200
    assert http.get(f"/v1alpha/agents/{agent}/session/{sessions[1]}").status_code == 404
    assert http.get(f"/v1alpha/agents/{agent}").status_code == 404


# ---------------------------------------------------------------- the draft's /agents/execute


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_draft_execute_runs_a_turn(agents_server, protocol):
    request = {"agent": {"name": "helper", "description": "You are terse.", "tools": []},
               "turnHistory": [{"role": "user", "stepType": "user_response",
                                "messages": [{"role": "user", "text": "hi"}]}],
               "userStep": {"role": "user", "stepType": "user_response",
                            "messages": [{"role": "user", "text": "hello"}]}}
    if protocol == "rest":
        response = agents_server.http.post("/agents/execute", json=request)
        assert response.status_code == 200, response.text
        turn = response.json()
    else:
        stub = draft_agents_pb2_grpc.AgentsServiceStub(agents_server.channel)
        turn = to_json(stub.ExecuteAgent(from_json(request, draft_agents_pb2.ExecuteAgentRequest), timeout=120))
    assert turn["status"] == "completed" and turn["id"] and turn["startTime"] <= turn["endTime"]
    user, answer = turn["steps"]
    assert user == {"role": "user", "stepType": "user_response",
                    "messages": [{"role": "user", "text": "hello", "attachments": []}]}
    assert answer["stepType"] == "assistant_response" and answer["role"] == "assistant"
    (message,) = answer["messages"]
    assert message["text"]


# ---------------------------------------------------------------- durability


def test_sigkill_mid_turn_leaves_a_failed_turn_readable_after_restart(tmp_path, tiny_llm):
    files = tmp_path / "files"
    files.mkdir()
    args = ("--model", str(tiny_llm))
    server = Cli.start(tmp_path / "data", [files], extra_args=args)
    try:
        rest = AgentsApi(server, "rest")
        agent = server.http.post("/v1alpha/agents", json={"agent_config": {
            "model": tiny_llm.name, "instructions": "x",
            "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 100000}}}).json()["agent_id"]
        session = rest.create_session(agent)
        seen = threading.Event()
        turn_ids = []

        def run():
            try:
                with server.http.stream("POST", f"/v1alpha/agents/{agent}/session/{session}/turn", json={
                        "messages": [{"role": "user", "content": "go"}], "stream": True}) as response:
                    for line in response.iter_lines():
                        if '"turn_start"' in line:
                            turn_ids.append(json.loads(line[6:])["event"]["payload"]["turn_id"])
                        if '"step_progress"' in line:
                            seen.set()
            except Exception:
                pass  # the server is killed under it

        reader = threading.Thread(target=run, daemon=True)
        reader.start()
        assert seen.wait(60), server.log()
        server.signal(signal.SIGKILL)
        server.wait_exit()
    finally:
        server.close()
    restarted = Cli.start(tmp_path / "data", [files], extra_args=args)
    try:
        (turn_id,) = turn_ids
        turn = restarted.http.get(f"/v1alpha/agents/{agent}/session/{session}/turn/{turn_id}")
        assert turn.status_code == 200, turn.text
        body = turn.json()
        assert "failed" in body["output_message"]["content"] and body["completed_at"]
    finally:
        restarted.close()
