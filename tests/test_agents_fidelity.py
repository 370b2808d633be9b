"""Agents answers against the 2025 spec's own schemas, in every state a turn can be in
(running, awaiting a client tool's answer, completed, failed, cancelled, interrupted by a
restart), streamed event by event and read back, over gRPC (through jsonmap.to_json) and
REST/SSE; a caller leaving at any point; store writes off the event loop; client tools
described the older way (`parameters`)."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
import yaml
from google.protobuf import timestamp_pb2
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import test_agents
from _client import ApiError, Client
from _spec import SPEC_2025
from _wait import wait_until
from conftest import RunningServer, make_config
from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.common.v1 import agent_config_pb2, messages_pb2
from llamastack_grpc.jsonmap import JsonMappingError, from_json, to_json
from server.agents.store import IN_PROGRESS, AgentStore, TurnStatus
from server.agents.turns import ending_message
from server.storage import LmdbStore
from test_agents import AGENTS, CLOCK, GREEDY, AgentsApi, kinds, payloads

# The agents tests' fixtures: the server with the tiny models, both protocols, a scripted model.
agents_server, api, scripted = test_agents.agents_server, test_agents.api, test_agents.scripted

# ---------------------------------------------------------------- the spec's schemas


def _either_string(schema):
    """The spec writes pydantic's Union[SomeEnum, str] as `oneOf: [{type: string, enum}, {type:
    string}]`, which, read strictly, no value of the enum satisfies (it matches both). The
    SDK reads it as either; so do these checks: such a oneOf is taken as anyOf."""
    if isinstance(schema, list):
        return [_either_string(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _either_string(value) for key, value in schema.items()}
    branches = schema.get("oneOf")
    if branches and all(branch.get("type") == "string" and set(branch) <= {"type", "enum", "title", "description"}
                        for branch in branches):
        schema["anyOf"] = schema.pop("oneOf")
    return schema


_REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(
    _either_string(yaml.safe_load(SPEC_2025.read_text())), default_specification=DRAFT202012))


def conforms(instance, schema: str):
    """Asserts that instance is valid against the spec's component schema of that name."""
    validator = Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{schema}"}, registry=_REGISTRY)
    error = best_match(validator.iter_errors(instance))
    assert error is None, f"not a valid {schema} at /{'/'.join(map(str, error.absolute_path))}: {error.message}"
    return instance


def all_conform(events: list[dict]) -> list[dict]:
    for event in events:
        conforms(event, "AgentTurnResponseStreamChunk")
    return events


# The reads, and the spec's schema of each answer.
READS = {"GetAgent": "Agent", "ListAgents": "PaginatedResponse", "GetAgentSession": "Session",
         "ListAgentSessions": "PaginatedResponse", "GetAgentTurn": "Turn", "GetAgentStep": "AgentStepResponse"}


def read(server, protocol: str, rpc: str, **ids) -> dict:
    """A read over that protocol, checked against the spec's schema of the answer."""
    return conforms(Client(server, protocol).call(AGENTS + rpc, ids, timeout=30), READS[rpc])


def read_turn(server, protocol: str, agent: str, session: str, turn_id: str) -> dict:
    """GET turn, and the same turn in GET session: both conform and agree."""
    turn = read(server, protocol, "GetAgentTurn", agent_id=agent, session_id=session, turn_id=turn_id)
    listed = read(server, protocol, "GetAgentSession", agent_id=agent, session_id=session)["turns"]
    assert [t for t in listed if t["turn_id"] == turn_id] == [turn]
    return turn


def turn_events(api: AgentsApi, agent: str, session: str, text: str):
    """A turn's stream read as it comes (leaving the block early cancels or hangs up)."""
    return api.client.events(AGENTS + "CreateAgentTurn", {
        "agent_id": agent, "session_id": session, "messages": [{"role": "user", "content": text}]})


def ended(turn: dict, how: str) -> bool:
    """The turn is stored as stopped early: failed or cancelled, and says so."""
    message = turn["output_message"]
    return bool(turn.get("completed_at")) and message["stop_reason"] == "end_of_turn" \
        and message["content"].startswith(f"[turn {how}: ")


LONG = {"strategy": {"type": "greedy"}, "max_tokens": 100000}  # runs until cancelled

# ---------------------------------------------------------------- every state conforms


def test_a_client_tool_turn_conforms_at_every_event_and_read(api, agents_server):
    agent = api.create_agent(client_tools=[CLOCK], max_infer_iters=1, sampling_params={**GREEDY, "max_tokens": 60})
    session = api.create_session(agent)
    events = all_conform(api.turn(agent, session, "what time is it", tool_config={"tool_choice": "required"}))
    assert kinds(events)[-1] == "turn_awaiting_input"
    turn = payloads(events)[-1]["turn"]
    (inference,) = turn["steps"]
    (call,) = inference["model_response"]["tool_calls"]
    # What the SDK's client-tool loop reads: the calls in the awaiting turn's output_message.
    assert turn["output_message"] == inference["model_response"]
    assert turn["output_message"]["stop_reason"] == "end_of_message" and "completed_at" not in turn
    assert read_turn(agents_server, api.name, agent, session, turn["turn_id"]) == turn

    resumed = all_conform(api.resume(agent, session, turn["turn_id"], [
        {"call_id": call["call_id"], "tool_name": "get_time", "content": "12:00 UTC"}]))
    final = payloads(resumed)[-1]
    assert final["event_type"] == "turn_complete"
    # max_infer_iters was reached on the answered call: over, not a call left to answer.
    assert final["turn"]["output_message"]["stop_reason"] == "end_of_turn"
    assert read_turn(agents_server, api.name, agent, session, turn["turn_id"]) == final["turn"]
    for step in final["turn"]["steps"]:
        answer = read(agents_server, api.name, "GetAgentStep", agent_id=agent, session_id=session,
                      turn_id=turn["turn_id"], step_id=step["step_id"])
        assert answer == {"step": step}
    assert read(agents_server, api.name, "GetAgent", agent_id=agent)["agent_id"] == agent
    for item in read(agents_server, api.name, "ListAgents")["data"]:
        conforms(item, "Agent")
    sessions = read(agents_server, api.name, "ListAgentSessions", agent_id=agent)["data"]
    assert [s["session_id"] for s in sessions] == [session]


def test_non_streamed_answers_are_the_turn_in_each_state(agents_server):
    """stream=false is answered by the gateway (over gRPC the call always streams)."""
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent(client_tools=[CLOCK], max_infer_iters=1, sampling_params={**GREEDY, "max_tokens": 60})
    session = rest.create_session(agent)
    path = f"/v1alpha/agents/{agent}/session/{session}/turn"
    waiting = agents_server.http.post(path, json={"messages": [{"role": "user", "content": "time?"}],
                                                  "tool_config": {"tool_choice": "required"}})
    assert waiting.status_code == 200 and waiting.headers["content-type"] == "application/json"
    turn = conforms(waiting.json(), "Turn")
    (call,) = turn["output_message"]["tool_calls"]
    assert call["tool_name"] == "get_time" and "completed_at" not in turn
    answered = agents_server.http.post(f"{path}/{turn['turn_id']}/resume", json={"stream": False, "tool_responses": [
        {"call_id": call["call_id"], "tool_name": "get_time", "content": "noon"}]})
    assert answered.status_code == 200, answered.text
    resumed = conforms(answered.json(), "Turn")
    assert resumed["turn_id"] == turn["turn_id"] and resumed["completed_at"]
    assert resumed == read_turn(agents_server, "rest", agent, session, turn["turn_id"])


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_a_running_turn_reads_back_conforming(agents_server, protocol):
    grpc_api = AgentsApi(agents_server, "grpc")
    agent = grpc_api.create_agent(sampling_params=LONG)
    session = grpc_api.create_session(agent)
    with turn_events(grpc_api, agent, session, "go on") as stream:
        events = all_conform([next(stream) for _ in range(4)])  # turn_start, step_start, step_progress...
        turn_id = payloads(events)[0]["turn_id"]
        running = read_turn(agents_server, protocol, agent, session, turn_id)
        assert "completed_at" not in running
        message = running["output_message"]
        assert (message["content"], message["stop_reason"], message["tool_calls"]) == ("", "end_of_message", [])
    wait_until(lambda: ended(read(agents_server, protocol, "GetAgentTurn", agent_id=agent, session_id=session,
                                  turn_id=turn_id), "cancelled"))
    read_turn(agents_server, protocol, agent, session, turn_id)


def failing_turn(api, agent: str, session: str) -> list[dict]:
    """The events of a turn whose model breaks mid-answer, before the stream's error."""
    events = []
    with pytest.raises(ApiError) as caught, turn_events(api, agent, session, "x") as stream:
        for event in stream:
            events.append(event)
    assert caught.value.code == "INTERNAL"
    return events


def test_a_failed_turn_conforms_and_says_it_failed(api, agents_server, scripted):
    scripted("some words before it breaks FAIL")
    agent = api.create_agent(model="scripted")
    session = api.create_session(agent)
    events = all_conform(failing_turn(api, agent, session))
    turn = read_turn(agents_server, api.name, agent, session, payloads(events)[0]["turn_id"])
    assert ended(turn, "failed"), turn["output_message"]


def test_a_turn_interrupted_by_a_restart_reads_back_conforming(tmp_path):
    """What a process killed mid-turn leaves on disk (the turn stored as running, as the
    runner stores it), then a start on that data: the turn reads back failed."""
    (tmp_path / "files").mkdir()
    now = timestamp_pb2.Timestamp()
    now.FromJsonString("2025-10-01T12:00:00Z")
    agent = pb.Agent(agent_id="agent", created_at=now, agent_config=from_json(
        {"model": "tiny-llama", "instructions": "x"}, agent_config_pb2.AgentConfig))
    turn = pb.Turn(turn_id="turn", session_id="session", started_at=now, input_messages=[
        from_json({"role": "user", "content": "hi"}, pb.TurnInputMessage)])
    turn.steps.add().inference.CopyFrom(from_json({
        "turn_id": "turn", "step_id": "step", "step_type": "inference", "started_at": "2025-10-01T12:00:01Z",
        "completed_at": "2025-10-01T12:00:02Z", "model_response": {
            "role": "assistant", "content": "", "stop_reason": "end_of_message", "tool_calls": [
                {"call_id": "c", "tool_name": "code_interpreter", "arguments": "{}"}]}}, pb.InferenceStep))
    status = TurnStatus(IN_PROGRESS)
    turn.output_message.CopyFrom(ending_message(turn, status))
    lmdb = LmdbStore(make_config(tmp_path).data_dir / "store")
    store = AgentStore(lmdb)

    async def leave_running():
        await store.put_agent(agent)
        await store.put_session("agent", pb.Session(session_id="session", session_name="s", started_at=now))
        await store.put_turn("agent", turn, status)

    asyncio.run(leave_running())
    lmdb.close()
    restarted = RunningServer(make_config(tmp_path))
    try:
        for protocol in ("grpc", "rest"):
            failed = read_turn(restarted, protocol, "agent", "session", "turn")
            assert ended(failed, "failed") and "server stopped" in failed["output_message"]["content"]
            assert failed["steps"] == [to_json(turn.steps[0])]
    finally:
        restarted.stop()


# ---------------------------------------------------------------- a caller leaving


def test_closing_the_turn_stream_right_after_turn_start_stores_it_cancelled_at_once(agents_server):
    """The service's stream closed at its first event, as a caller going away closes it:
    when aclose() returns the turn is stored cancelled, with no garbage collection involved."""
    rest = AgentsApi(agents_server, "rest")
    agent = rest.create_agent(sampling_params=LONG)
    session = rest.create_session(agent)
    request = from_json({"agent_id": agent, "session_id": session, "messages": [{"role": "user", "content": "go"}]},
                        pb.CreateAgentTurnRequest)

    async def leave_after_turn_start():
        stream = agents_server.app.agents.create_turn(request)
        first = await anext(stream)
        await stream.aclose()
        return first

    first = asyncio.run_coroutine_threadsafe(leave_after_turn_start(), agents_server.loop).result(timeout=60)
    turn_id = to_json(first)["event"]["payload"]["turn_id"]
    assert ended(read_turn(agents_server, "rest", agent, session, turn_id), "cancelled")


def test_a_caller_leaving_after_turn_start_leaves_a_terminal_turn_within_a_second(api, agents_server):
    engine = agents_server.app.models.loaded["tiny-llama"]
    agent = api.create_agent(sampling_params=LONG)
    session = api.create_session(agent)
    with turn_events(api, agent, session, "go on") as stream:  # leaving it cancels the call, or hangs up
        turn_id = next(stream)["event"]["payload"]["turn_id"]
    wait_until(lambda: ended(read(agents_server, api.name, "GetAgentTurn", agent_id=agent, session_id=session,
                                  turn_id=turn_id), "cancelled"), timeout=1.0, message="the turn stored cancelled")
    wait_until(lambda: engine.active_requests == 0, message="the engine dropped the turn's request")


# ---------------------------------------------------------------- store writes off the loop


class _GatedLock:
    """Stands in for the store's write lock: a writer reaching it says so, then waits
    until the test opens the gate."""

    def __init__(self, lock):
        self.lock = lock
        self.reached = threading.Event()
        self.gate = threading.Event()

    def __enter__(self):
        self.reached.set()
        assert self.gate.wait(60)
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()


def test_a_turn_waiting_on_a_store_write_holds_up_no_other_call(agents_server):
    grpc_api = AgentsApi(agents_server, "grpc")
    agent = grpc_api.create_agent()
    session = grpc_api.create_session(agent)
    store = agents_server.app.store
    gated = store._write_lock = _GatedLock(store._write_lock)
    received = []
    try:
        reader = threading.Thread(target=lambda: received.extend(grpc_api.turn(agent, session, "hi")), daemon=True)
        reader.start()
        assert gated.reached.wait(30), "the turn's first write never reached the store"
        # That write waits in a worker thread: the event loop goes on answering, over both protocols.
        assert read(agents_server, "grpc", "GetAgent", agent_id=agent)["agent_id"] == agent
        assert read(agents_server, "rest", "ListAgentSessions", agent_id=agent)["data"]
        assert received == []  # nothing is sent before it is stored: turn_start follows the first write
    finally:
        gated.gate.set()
        store._write_lock = gated.lock
    reader.join(timeout=120)
    assert kinds(received)[0] == "turn_start" and kinds(received)[-1] == "turn_complete"
    stored = read_turn(agents_server, "grpc", agent, session, payloads(received)[0]["turn_id"])
    assert stored == payloads(received)[-1]["turn"]


# ---------------------------------------------------------------- client tools, the older way

# As the SDK of the reference server's time sends a client tool (its client_tool decorator:
# Python type names, `default` always present).
OLD_STYLE_TOOL = {"name": "get_time", "description": "the time, in UTC or local", "parameters": [
    {"name": "utc", "parameter_type": "bool", "description": "UTC rather than local time", "required": True,
     "default": None}]}


def test_a_parameters_style_client_tool_runs_a_whole_client_tool_turn(api, agents_server):
    agent = api.create_agent(client_tools=[OLD_STYLE_TOOL], max_infer_iters=1,
                             sampling_params={**GREEDY, "max_tokens": 60}, tool_config={"tool_choice": "required"})
    stored = read(agents_server, api.name, "GetAgent", agent_id=agent)["agent_config"]["client_tools"]
    assert stored == [{"name": "get_time", "description": "the time, in UTC or local", "input_schema": {
        "type": "object", "properties": {"utc": {"type": "boolean", "description": "UTC rather than local time"}},
        "required": ["utc"]}}]
    session = api.create_session(agent)
    events = all_conform(api.turn(agent, session, "what time is it"))
    assert kinds(events)[-1] == "turn_awaiting_input"
    turn = payloads(events)[-1]["turn"]
    (call,) = turn["output_message"]["tool_calls"]
    assert call["tool_name"] == "get_time" and isinstance(json.loads(call["arguments"])["utc"], bool)
    resumed = all_conform(api.resume(agent, session, turn["turn_id"], [
        {"call_id": call["call_id"], "tool_name": "get_time", "content": "12:00"}]))
    final = payloads(resumed)[-1]
    assert final["event_type"] == "turn_complete" and final["turn"]["turn_id"] == turn["turn_id"]
    (execution,) = [s for s in final["turn"]["steps"] if s["step_type"] == "tool_execution"]
    assert execution["tool_calls"] == [call] and execution["tool_responses"][0]["content"] == "12:00"


@pytest.mark.parametrize("tool, field, words", [
    ({**OLD_STYLE_TOOL, "parameterz": []}, "agent_config.client_tools[0].parameterz", "unknown field"),
    ({**OLD_STYLE_TOOL, "parameters": [{**OLD_STYLE_TOOL["parameters"][0], "parameter_type": "datetime"}]},
     "agent_config.client_tools[0].parameters[0].parameter_type", "unknown type 'datetime'"),
    ({**OLD_STYLE_TOOL, "input_schema": {"type": "object"}}, "agent_config.client_tools[0].parameters",
     "not both"),
    ({**OLD_STYLE_TOOL, "parameters": [{"name": "utc"}]}, "agent_config.client_tools[0].parameters[0].parameter_type",
     "is required"),
])
@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_a_client_tool_the_server_cannot_read_is_refused_naming_the_field(agents_server, protocol, tool, field,
                                                                          words):
    config = {"model": "tiny-llama", "instructions": "x", "client_tools": [tool]}
    with pytest.raises((ApiError, JsonMappingError)) as caught:  # over gRPC jsonmap may refuse it before any call
        Client(agents_server, protocol).call(AGENTS + "CreateAgent", {"agent_config": config})
    error = caught.value
    if isinstance(error, ApiError):
        assert error.code == "INVALID_ARGUMENT" and error.message.startswith(field) and error.names(field)
        assert protocol == "grpc" or error.http_status == 400
    assert words in str(error) and field in str(error)


def test_the_draft_chat_takes_parameters_style_tools_too(agents_server):
    response = agents_server.http.post("/inference", json={
        "model": "tiny-llama", "messages": [{"role": "user", "text": "time?"}], "tools": [OLD_STYLE_TOOL],
        "tool_choice": "get_time", "options": {"max_tokens": 60}})
    assert response.status_code == 200, response.text
    (candidate,) = response.json()["candidates"]
    assert candidate["tool_call"]["name"] == "get_time"
    (arguments,) = candidate["tool_call"]["arguments"]  # the draft's ToolCall: a list of one object
    assert isinstance(arguments["utc"], bool)


def test_stop_reasons_of_the_ending_messages_are_the_specs():
    """Every ending the store can hold renders as a CompletionMessage the spec accepts."""
    turn = pb.Turn()
    turn.steps.add().inference.model_response.CopyFrom(messages_pb2.CompletionMessage(
        role="assistant", content={"text": ""}, stop_reason=messages_pb2.STOP_REASON_END_OF_MESSAGE,
        tool_calls=[messages_pb2.ToolCall(call_id="c", tool_name="t", arguments="{}")]))
    for status in ("in_progress", "awaiting_input", "failed", "cancelled"):
        conforms(to_json(ending_message(turn, TurnStatus(status, "why"))), "CompletionMessage")
