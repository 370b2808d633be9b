"""The 2024 draft's POST /agents/execute, on the same turn engine as v1alpha turns.

The draft sends a whole agent description, the turn history and the user's step, and
gets a Turn back. Each call runs as a turn of a fresh agent and session (kept, like any
turn); the draft's model enum picks the configured LLM whose id is its wire name, else
the first LLM. Builtin tools map to the builtin toolgroups; zero-shot tools are offered
to the model and, when called, end the turn with a tool_request step that the caller
answers in its next call's history (the draft has no resume)."""
from __future__ import annotations

import json

from google.protobuf import json_format

from llamastack.agents.v0 import agents_pb2 as v0
from llamastack.common.v0 import common_pb2 as common_v0
from llamastack.common.v1 import agent_config_pb2
from llamastack.common.v1 import inference_pb2 as inference_v1
from llamastack_grpc.jsonmap import enum_values
from server.agents import content as c
from server.agents.service import AgentService
from server.agents.tools import CODE, RAG, WEB
from server.errors import InvalidArgument

_BUILTINS = {"code_interpreter": CODE, "brave_search": WEB, "web_search": WEB, "knowledge_search": RAG}
_ROLES = {common_v0.MODEL_INPUT_MESSAGE_ROLE_USER: "user", common_v0.MODEL_INPUT_MESSAGE_ROLE_TOOL: "tool"}


def _messages(steps) -> list[dict]:
    out = []
    for step in steps:
        for message in step.messages:
            if message.WhichOneof("message") == "input":
                out.append({"role": _ROLES.get(message.input.role, "user"), "content": message.input.text})
            elif message.WhichOneof("message") == "output":
                out.append({"role": "assistant", "content": message.output.text})
    return out


class DraftAgentExecution:
    def __init__(self, agents: AgentService):
        self._agents = agents

    def _config(self, agent: v0.Agent) -> agent_config_pb2.AgentConfig:
        registry = self._agents.registry
        wire = dict(zip(v0.AgentModel.keys()[1:], enum_values(v0.AgentModel.DESCRIPTOR), strict=True))
        wanted = wire.get(v0.AgentModel.Name(agent.model)) if agent.HasField("model") else None
        model = wanted if wanted in registry else (registry.first("llm").id if registry.first("llm") else "")
        config = agent_config_pb2.AgentConfig(
            model=model, name=agent.name, instructions=agent.description or "You are a helpful assistant.",
            sampling_params=inference_v1.SamplingParams(strategy=inference_v1.SamplingStrategy(
                greedy=inference_v1.GreedySamplingStrategy(type="greedy"))))
        for i, tool in enumerate(agent.tools):
            if tool.tool_type == v0.TOOL_TYPE_BUILTIN:
                if tool.name not in _BUILTINS:
                    raise InvalidArgument(f"agent.tools[{i}].name", f"unknown builtin tool {tool.name!r}; "
                                          f"known: {', '.join(_BUILTINS)}")
                config.toolgroups.add(name=_BUILTINS[tool.name])
            else:
                config.client_tools.add(name=tool.name, description=tool.description).input_schema.update(
                    {"type": "object"})
        return config

    async def execute(self, request: v0.ExecuteAgentRequest) -> v0.Turn:
        if not request.HasField("user_step") or not request.user_step.messages:
            raise InvalidArgument("userStep.messages", "must hold the user's message")
        agent = await self._agents.create_agent(self._config(request.agent))
        session = await self._agents.create_session(agent.agent_id, "agents/execute")
        user_text = _messages([request.user_step])[-1]["content"]
        final = None
        async for chunk in self._agents.run_draft_turn(agent.agent_id, session.session_id, user_text,
                                                       _messages(request.turn_history)):
            final = chunk
        payload = final.event.payload
        return self._draft_turn(request.user_step, getattr(payload, payload.WhichOneof("payload")).turn)

    @staticmethod
    def _draft_turn(user_step: v0.Step, turn) -> v0.Turn:
        out = v0.Turn(id=turn.turn_id, status=v0.TURN_STATUS_COMPLETED)
        out.start_time.CopyFrom(turn.started_at)
        out.end_time.CopyFrom(turn.completed_at)
        out.steps.append(user_step)
        for step in turn.steps:
            kind = step.WhichOneof("step")
            if kind == "inference":
                response = step.inference.model_response
                draft = out.steps.add(id=step.inference.step_id, role=v0.STEP_ROLE_ASSISTANT,
                                      step_type=v0.STEP_TYPE_TOOL_REQUEST if response.tool_calls
                                      else v0.STEP_TYPE_ASSISTANT_RESPONSE)
                output = draft.messages.add().output
                output.text = c.content_text(response.content)
                for call in response.tool_calls:
                    output.tool_call.name = call.tool_name
                    output.tool_call.arguments.add().update(json.loads(call.arguments or "{}"))
                draft.timestamp.CopyFrom(step.inference.completed_at)
            elif kind == "tool_execution":
                draft = out.steps.add(id=step.tool_execution.step_id, role=v0.STEP_ROLE_ASSISTANT,
                                      step_type=v0.STEP_TYPE_TOOL_RESPONSE)
                for response in step.tool_execution.tool_responses:
                    message = draft.messages.add().input
                    message.role = common_v0.MODEL_INPUT_MESSAGE_ROLE_TOOL
                    message.text = c.content_text(response.content)
                draft.timestamp.CopyFrom(step.tool_execution.completed_at)
            elif kind == "shield_call" and step.shield_call.HasField("violation"):
                out.metadata.update({"shield_violation": json_format.MessageToDict(step.shield_call.violation)})
        return out
