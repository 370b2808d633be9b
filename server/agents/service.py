"""Agents, sessions and turns: the domain service behind the v1alpha agents API and
the draft's /agents/execute. Plain Python."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing

from google.protobuf import timestamp_pb2

from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.common.v1 import agent_config_pb2, inference_pb2, messages_pb2
from llamastack_grpc import struct_to_dict
from server.agents import content as c
from server.agents.store import AWAITING_INPUT, FAILED, AgentStore, TurnStatus
from server.agents.tools import ToolGroup, ToolRuntime, builtin_group
from server.agents.turns import DEFAULT_MAX_INFER_ITERS, TurnPlan, TurnRunner, constraint_of, ending_message
from server.documents import load_inline, load_uri
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.inference import tool_formats
from server.inference.chat import ChatRequest, input_schema, sampling_settings, tool_from_def
from server.inference.service import InferenceService
from server.uris import FileAccess


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class AgentService:
    def __init__(self, store: AgentStore, inference: InferenceService, tools: ToolRuntime, shields: dict,
                 files: FileAccess):
        self._store = store
        self._inference = inference
        self._shields = shields
        self._files = files  # where and how much documents named by file:// may read
        self._runner = TurnRunner(store, inference, tools, shields)

    def close(self) -> None:
        self._store.close()

    def recover(self) -> int:
        """After a restart: turns that were running are failed, never left running."""
        reason = "the server stopped while the turn ran"

        def finish(turn: pb.Turn):
            turn.completed_at.CopyFrom(_now())
            turn.output_message.CopyFrom(ending_message(turn, TurnStatus(FAILED, reason)))

        return self._store.fail_interrupted(reason, finish)

    # ---------------------------------------------------------------- agents

    async def create_agent(self, config: agent_config_pb2.AgentConfig) -> pb.Agent:
        config = _with_input_schemas(config)
        self._check_config(config)
        agent = pb.Agent(agent_id=str(uuid.uuid4()), agent_config=config, created_at=_now())
        await self._store.put_agent(agent)
        return agent

    def _check_config(self, config) -> None:
        self._inference.registry.get(config.model, ("llm",), "agent_config.model")
        for shield in [*config.input_shields, *config.output_shields]:
            if shield not in self._shields:
                raise InvalidArgument("agent_config.input_shields", f"unknown shield {shield!r}; configured: "
                                      f"{', '.join(self._shields) or 'none'}")
        self._groups(config.toolgroups, "agent_config.toolgroups")
        if config.HasField("max_infer_iters") and config.max_infer_iters < 1:
            raise InvalidArgument("agent_config.max_infer_iters", "must be at least 1")
        constraint_of(config)

    def get_agent(self, agent_id: str) -> pb.Agent:
        return self._store.agent(agent_id)

    def list_agents(self) -> list[pb.Agent]:
        return self._store.agents()

    async def delete_agent(self, agent_id: str) -> None:
        await self._store.delete_agent(agent_id)

    # ---------------------------------------------------------------- sessions

    async def create_session(self, agent_id: str, name: str) -> pb.Session:
        self._store.agent(agent_id)
        session = pb.Session(session_id=str(uuid.uuid4()), session_name=name, started_at=_now())
        await self._store.put_session(agent_id, session)
        return session

    def get_session(self, agent_id: str, session_id: str, turn_ids: list[str]) -> pb.Session:
        return self._store.session(agent_id, session_id, turn_ids)

    def list_sessions(self, agent_id: str) -> list[pb.Session]:
        return self._store.sessions(agent_id)

    async def delete_session(self, agent_id: str, session_id: str) -> None:
        await self._store.delete_session(agent_id, session_id)

    # ---------------------------------------------------------------- turns

    def get_turn(self, agent_id: str, session_id: str, turn_id: str) -> pb.Turn:
        return self._store.turn(agent_id, session_id, turn_id)[0]

    def get_step(self, agent_id: str, session_id: str, turn_id: str, step_id: str) -> pb.Step:
        turn = self.get_turn(agent_id, session_id, turn_id)
        for step in turn.steps:
            if getattr(step, step.WhichOneof("step")).step_id == step_id:
                return step
        raise NotFound(f"Step '{step_id}' not found in turn '{turn_id}'")

    async def create_turn(self, request: pb.CreateAgentTurnRequest) -> AsyncIterator[pb.AgentTurnResponseStreamChunk]:
        agent = self._store.agent(request.agent_id)
        self._store.check_session(request.agent_id, request.session_id)
        if not request.messages:
            raise InvalidArgument("messages", "must hold at least one message")
        plan = self._plan(agent, request.toolgroups if request.toolgroups else None,
                          request.tool_config if request.HasField("tool_config") else None)
        documents = [await self._document_text(d, f"documents[{i}]") for i, d in enumerate(request.documents)]
        async with aclosing(self._runner.start(plan, request.session_id, list(request.messages), documents)) as turn:
            async for chunk in turn:
                yield chunk

    async def resume_turn(self, request: pb.ResumeAgentTurnRequest) -> AsyncIterator[pb.AgentTurnResponseStreamChunk]:
        agent = self._store.agent(request.agent_id)
        turn, status = self._store.turn(request.agent_id, request.session_id, request.turn_id)
        if status.status != AWAITING_INPUT:
            raise FailedPrecondition(f"Turn '{request.turn_id}' is {status.status}, not awaiting tool responses")
        answered = {r.call_id for r in request.tool_responses}
        missing = [call for call in status.pending_calls if call not in answered]
        if missing:
            raise InvalidArgument("tool_responses", f"missing responses for tool calls: {', '.join(missing)}")
        extra = answered - set(status.pending_calls)
        if extra:
            raise InvalidArgument("tool_responses", f"unknown call ids: {', '.join(sorted(extra))}")
        plan = self._plan(agent, None, None)
        async with aclosing(self._runner.resume(plan, turn, status, list(request.tool_responses))) as resumed:
            async for chunk in resumed:
                yield chunk

    async def run_draft_turn(self, agent_id: str, session_id: str, text: str,
                             prior_messages: list[dict]) -> AsyncIterator[pb.AgentTurnResponseStreamChunk]:
        """A turn whose earlier conversation is given by the caller (the draft's execute)."""
        plan = self._plan(self._store.agent(agent_id), None, None)
        plan.prior_messages = prior_messages
        message = pb.TurnInputMessage(user=messages_pb2.UserMessage(role="user", content=c.text_content(text)))
        async with aclosing(self._runner.start(plan, session_id, [message], [])) as turn:
            async for chunk in turn:
                yield chunk

    @property
    def registry(self):
        return self._inference.registry

    # ---------------------------------------------------------------- helpers

    def _groups(self, toolgroups, field: str) -> list[ToolGroup]:
        groups = []
        for i, tool in enumerate(toolgroups):
            if tool.WhichOneof("tool") == "name":
                groups.append(ToolGroup(builtin_group(tool.name, f"{field}[{i}]")))
            else:
                groups.append(ToolGroup(builtin_group(tool.with_args.name, f"{field}[{i}].name"),
                                        struct_to_dict(tool.with_args.args)))
        return groups

    def _plan(self, agent: pb.Agent, toolgroups, tool_config) -> TurnPlan:
        config = agent.agent_config
        groups = self._groups(toolgroups if toolgroups is not None else config.toolgroups, "toolgroups")
        tool_config = tool_config or config.tool_config
        chat = ChatRequest(model_id=config.model, messages=[], response_format=constraint_of(config),
                           **sampling_settings(config.sampling_params), **_tool_settings(tool_config, config))
        client_tools = [tool_from_def(t, f"agent_config.client_tools[{i}]") for i, t in enumerate(config.client_tools)]
        server_tools = ToolRuntime.server_tools(groups)
        return TurnPlan(agent=agent, chat=chat, server_tools=server_tools, client_tools=client_tools,
                        max_infer_iters=config.max_infer_iters if config.HasField("max_infer_iters")
                        else DEFAULT_MAX_INFER_ITERS)

    async def _document_text(self, document: pb.CreateAgentTurnRequest.Document, field: str) -> str:
        content = document.content
        kind = content.WhichOneof("content")
        mime = document.mime_type or None
        if kind == "url":
            text, _, _ = await asyncio.to_thread(load_uri, content.url.uri, mime, self._files,
                                                 field_name=f"{field}.content.uri", mime_field=f"{field}.mime_type")
            return text
        if kind == "text":
            return load_inline(content.text, mime, field_name=f"{field}.content", mime_field=f"{field}.mime_type")[0]
        if kind == "item":
            return c.content_text(messages_pb2.ToolResponse(content={"item": content.item}).content)
        if kind == "items":
            return "\n".join(c.content_text(messages_pb2.ToolResponse(content={"item": i}).content)
                             for i in content.items.items)
        raise InvalidArgument(f"{field}.content", "is required")


def _with_input_schemas(config: agent_config_pb2.AgentConfig) -> agent_config_pb2.AgentConfig:
    """The config with client tools described by the older `parameters` list turned into
    their input_schema (docs/decisions-2025.md), as it is stored and answered."""
    if not any(tool.HasField("parameters") for tool in config.client_tools):
        return config
    converted = agent_config_pb2.AgentConfig()
    converted.CopyFrom(config)
    for i, tool in enumerate(converted.client_tools):
        if tool.HasField("parameters"):
            tool.input_schema.update(input_schema(tool, f"agent_config.client_tools[{i}]"))
            tool.ClearField("parameters")
    return converted


_TOOL_CHOICES = {inference_pb2.TOOL_CHOICE_AUTO: "auto", inference_pb2.TOOL_CHOICE_REQUIRED: "required",
                 inference_pb2.TOOL_CHOICE_NONE: "none"}


def _tool_settings(tool_config, agent_config) -> dict:
    """tool_choice and tool_prompt_format: tool_config's, else the agent config's
    deprecated fields of the same names, else auto and json."""
    choice = (tool_config.tool_choice if tool_config.HasField("tool_choice")
              else _TOOL_CHOICES.get(agent_config.tool_choice, "auto"))
    prompt_format = (tool_config.tool_prompt_format if tool_config.HasField("tool_prompt_format")
                     else agent_config.tool_prompt_format)
    return {"tool_choice": choice, "tool_prompt_format": tool_formats.name_from_proto(prompt_format)}
