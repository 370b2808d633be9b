"""How a turn runs.

instructions + session history + the new messages (+ documents attached to the turn)
-> input shields -> streamed inference -> tool calls -> tool execution -> again, until
the model answers without a tool call or max_infer_iters is reached -> output shields
-> the Turn is stored. Each step is stored as it completes. A client tool call pauses
the turn (turn_awaiting_input); resume adds the client's tool responses and goes on.

Events, in order: turn_start; for each step step_start, step_progress (text deltas, or
tool-call deltas with parse_status), step_complete; then turn_complete or
turn_awaiting_input. The last event carries the whole Turn. No event is sent before the
turn is stored as running, and a step_complete event only once its step is stored; the
turn's work runs ahead of its reader (server/agents/ahead.py), so that neither those
writes nor the transport hold up the model.

The Turn's output_message (which the spec requires) says in every state where the turn is
(docs/decisions-2025.md): see `ending_message`.

Every stream here that relays another closes it on the way out (contextlib.aclosing): a
caller leaving at any event closes the whole chain at once, down to the engine's request,
and the guard stores how the turn ended; nothing waits for the garbage collector.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field

from google.protobuf import timestamp_pb2

from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.common.v1 import messages_pb2, safety_pb2
from server.agents import content as c
from server.agents.ahead import running_ahead
from server.agents.store import AWAITING_INPUT, CANCELLED, COMPLETED, FAILED, IN_PROGRESS, AgentStore, TurnStatus
from server.agents.tools import ToolGroup, ToolRuntime
from server.errors import ServiceError
from server.inference.chat import ChatDelta, ChatRequest, Constraint, Tool, constraint_from_response_format, tool_format
from server.inference.service import InferenceService
from server.jobs.writer import Written
from server.telemetry.instrument import annotate, traced

DEFAULT_MAX_INFER_ITERS = 10
_LEVELS = {"info": safety_pb2.VIOLATION_LEVEL_INFO, "warn": safety_pb2.VIOLATION_LEVEL_WARN,
           "error": safety_pb2.VIOLATION_LEVEL_ERROR}
_STEP_TYPES = {"inference": pb.STEP_TYPE_INFERENCE, "tool_execution": pb.STEP_TYPE_TOOL_EXECUTION,
               "shield_call": pb.STEP_TYPE_SHIELD_CALL, "memory_retrieval": pb.STEP_TYPE_MEMORY_RETRIEVAL}
_E = pb.AgentTurnResponseEventType
_STEP_PROGRESS = _E.AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_PROGRESS


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _chunk(**payload) -> pb.AgentTurnResponseStreamChunk:
    # Copied once into place: nesting it by keywords would copy it at each of three levels.
    ((kind, value),) = payload.items()
    chunk = pb.AgentTurnResponseStreamChunk()
    getattr(chunk.event.payload, kind).CopyFrom(value)
    return chunk


@dataclass
class TurnPlan:
    """What one turn runs with: the agent's config merged with the turn's overrides."""

    agent: pb.Agent
    chat: ChatRequest  # model, sampling, response format, tool_choice; messages filled per iteration
    server_tools: dict[str, ToolGroup]
    client_tools: list[Tool]
    max_infer_iters: int
    # Conversation that came before, given by the caller rather than the session (the
    # draft's /agents/execute sends its turn history).
    prior_messages: list[dict] = field(default_factory=list)


class TurnRunner:
    def __init__(self, store: AgentStore, inference: InferenceService, tools: ToolRuntime, shields: dict):
        self._store = store
        self._inference = inference
        self._tools = tools
        self._shields = shields

    # ---------------------------------------------------------------- entry points

    def start(self, plan: TurnPlan, session_id: str, messages: list[pb.TurnInputMessage],
              documents: list[str]) -> AsyncIterator[pb.AgentTurnResponseStreamChunk]:
        turn = pb.Turn(turn_id=f"{time.time_ns():016x}-{uuid.uuid4().hex[:8]}", session_id=session_id,
                       input_messages=messages, started_at=_now())

        async def events():
            yield _chunk(turn_start=pb.AgentTurnResponseTurnStartPayload(
                event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_START, turn_id=turn.turn_id))
            async with aclosing(self._run(plan, turn, documents, first=True)) as run:
                async for chunk in run:
                    yield chunk

        return self._guarded(plan, turn, events())

    def resume(self, plan: TurnPlan, turn: pb.Turn, status: TurnStatus,
               responses: list[messages_pb2.ToolResponse]) -> AsyncIterator[pb.AgentTurnResponseStreamChunk]:
        async def events():
            # The tool_execution step the turn waited on completes with the client's answers.
            calls = [call for step in turn.steps if step.WhichOneof("step") == "inference"
                     for call in step.inference.model_response.tool_calls if call.call_id in status.pending_calls]
            step = pb.ToolExecutionStep(turn_id=turn.turn_id, step_id=str(uuid.uuid4()), started_at=_now(),
                                        step_type=pb.STEP_TYPE_TOOL_EXECUTION, tool_calls=calls,
                                        tool_responses=responses)
            for chunk in await self._whole_step(plan, turn, pb.Step(tool_execution=step)):
                yield chunk
            async with aclosing(self._run(plan, turn, [], first=False)) as run:
                async for chunk in run:
                    yield chunk

        return self._guarded(plan, turn, events())

    @traced("agent.turn", lambda plan, turn, **_: {"agent_id": plan.agent.agent_id, "session_id": turn.session_id,
                                                   "turn_id": turn.turn_id})
    async def _guarded(self, plan, turn, events):
        """The turn's events, none sent before the turn is stored as running; the turn runs
        on meanwhile (its model request starts while that write syncs). Whatever ends it
        early leaves it stored at once as failed (an error) or cancelled (its caller left:
        the stream closed or its task cancelled, at any event), never as running."""
        ending = TurnStatus(CANCELLED, "the caller left before the turn completed")
        try:
            running = self._store_turn(plan, turn, TurnStatus(IN_PROGRESS))
            async with running_ahead(events) as chunks:
                await running
                async for chunk in chunks:
                    if chunk.event.payload.WhichOneof("payload") in ("turn_complete", "turn_awaiting_input"):
                        ending = None  # stored as completed or awaiting input already
                    yield chunk
        except Exception as error:
            ending = TurnStatus(FAILED, error.message if isinstance(error, ServiceError)
                                else "an internal error (see the server log)")
            raise
        finally:
            if ending is not None:
                turn.completed_at.CopyFrom(_now())
                await self._save(plan, turn, ending)

    # ---------------------------------------------------------------- the loop

    async def _run(self, plan, turn, documents, first: bool):
        history = plan.prior_messages + [
            m for past in self._store.history(plan.agent.agent_id, turn.session_id, turn.turn_id)
            for m in c.turn_messages(past)]
        system = [{"role": "system", "content": plan.agent.agent_config.instructions}]
        if first:
            chunks, blocking = await self._shield_steps(plan, turn, plan.agent.agent_config.input_shields,
                                                        history + c.turn_messages(turn))
            for chunk in chunks:
                yield chunk
            if blocking:
                yield await self._finish(plan, turn, blocking.user_message)
                return
            if documents:
                for chunk in await self._memory_step(plan, turn, documents):
                    yield chunk
        done = sum(1 for step in turn.steps if step.WhichOneof("step") == "inference")
        for _ in range(max(0, plan.max_infer_iters - done)):  # the bound holds across resumes
            messages = system + history + c.turn_messages(turn)
            async with aclosing(self._inference_step(plan, turn, messages)) as steps:
                async for chunk, step in steps:
                    if chunk is not None:
                        yield chunk
                    inference = step
            calls = list(inference.model_response.tool_calls)
            if not calls:
                break
            client_calls = [call for call in calls if call.tool_name not in plan.server_tools]
            if client_calls:
                await self._save(plan, turn, TurnStatus(AWAITING_INPUT,
                                                        pending_calls=[call.call_id for call in client_calls]))
                yield _chunk(turn_awaiting_input=pb.AgentTurnResponseTurnAwaitingInputPayload(
                    event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_AWAITING_INPUT, turn=turn))
                return
            async with aclosing(self._tool_step(plan, turn, calls)) as chunks:
                async for chunk in chunks:
                    yield chunk
        chunks, blocking = await self._shield_steps(plan, turn, plan.agent.agent_config.output_shields,
                                                    [{"role": "assistant", "content": self._last_answer(turn)}])
        for chunk in chunks:
            yield chunk
        yield await self._finish(plan, turn, blocking.user_message if blocking else None)

    # ---------------------------------------------------------------- steps

    async def _whole_step(self, plan, turn, step: pb.Step) -> list[pb.AgentTurnResponseStreamChunk]:
        """The events of a step that is done as soon as it starts: step_start, step_complete."""
        kind = step.WhichOneof("step")
        start = _chunk(step_start=pb.AgentTurnResponseStepStartPayload(
            event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_START, step_type=_STEP_TYPES[kind],
            step_id=getattr(step, kind).step_id))
        return [start, await self._complete(plan, turn, step)]

    async def _complete(self, plan, turn, step: pb.Step) -> pb.AgentTurnResponseStreamChunk:
        kind = step.WhichOneof("step")
        details = getattr(step, kind)
        details.completed_at.CopyFrom(_now())
        turn.steps.append(step)
        await self._save(plan, turn, TurnStatus(IN_PROGRESS))
        return _chunk(step_complete=pb.AgentTurnResponseStepCompletePayload(
            event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_COMPLETE, step_type=_STEP_TYPES[kind],
            step_id=details.step_id, step_details=step))

    @traced("agent.step", lambda turn, **_: {"step_type": "inference", "turn_id": turn.turn_id})
    async def _inference_step(self, plan: TurnPlan, turn, messages):
        step = pb.InferenceStep(turn_id=turn.turn_id, step_id=str(uuid.uuid4()), started_at=_now(),
                                step_type=pb.STEP_TYPE_INFERENCE)
        annotate(step_id=step.step_id)
        yield _chunk(step_start=pb.AgentTurnResponseStepStartPayload(
            event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_START, step_type=pb.STEP_TYPE_INFERENCE,
            step_id=step.step_id)), None
        tools = [self._tools.definition(g) for g in plan.server_tools.values()] + plan.client_tools
        request = ChatRequest(**{**plan.chat.__dict__, "messages": messages, "tools": tools})
        if not tools:
            request.tool_choice = "none"
        text, tool_mode, finish, calls = "", None, None, []
        async with aclosing(self._inference.chat_stream(request)) as stream:
            async for item in stream:
                if not isinstance(item, ChatDelta):
                    continue
                text += item.text
                if tool_mode is None and text.strip():
                    tool_mode = (bool(tools) and request.tool_choice != "none"
                                 and text.lstrip().startswith(tool_format(request).opener))
                    if tool_mode:
                        yield self._progress(step.step_id, tool_call=pb.ToolCallDelta(
                            type="tool_call", tool_call=pb.ToolCallDeltaValue(text=""),
                            parse_status=pb.TOOL_CALL_PARSE_STATUS_STARTED)), None
                if item.text and tool_mode is not None:
                    if tool_mode:
                        yield self._progress(step.step_id, tool_call=pb.ToolCallDelta(
                            type="tool_call", tool_call=pb.ToolCallDeltaValue(text=item.text),
                            parse_status=pb.TOOL_CALL_PARSE_STATUS_IN_PROGRESS)), None
                    else:
                        yield self._progress(step.step_id, text=item.text), None
                if item.finish_reason is not None:
                    finish = item.finish_reason
                    if item.tool_call is not None:
                        calls.append(c.new_tool_call(item.tool_call.name, item.tool_call.arguments))
        if tool_mode:
            parsed = calls[0] if calls else None
            yield self._progress(step.step_id, tool_call=pb.ToolCallDelta(
                type="tool_call", tool_call=pb.ToolCallDeltaValue(tool_call=parsed) if parsed
                else pb.ToolCallDeltaValue(text=text),
                parse_status=pb.TOOL_CALL_PARSE_STATUS_SUCCEEDED if parsed
                else pb.TOOL_CALL_PARSE_STATUS_FAILED)), None
        stop = {"stop": messages_pb2.STOP_REASON_END_OF_TURN, "length": messages_pb2.STOP_REASON_OUT_OF_TOKENS}
        step.model_response.CopyFrom(messages_pb2.CompletionMessage(
            role="assistant", content=c.text_content("" if calls else text),
            stop_reason=stop.get(finish, messages_pb2.STOP_REASON_END_OF_TURN), tool_calls=calls))
        if calls:
            step.model_response.stop_reason = messages_pb2.STOP_REASON_END_OF_MESSAGE
        yield await self._complete(plan, turn, pb.Step(inference=step)), step

    @staticmethod
    def _progress(step_id: str, text: str | None = None,
                  tool_call: pb.ToolCallDelta | None = None) -> pb.AgentTurnResponseStreamChunk:
        """A text delta, or a tool-call delta. One a token, so built in place: nesting
        messages by keywords copies each into its parent (7x slower)."""
        chunk = pb.AgentTurnResponseStreamChunk()
        progress = chunk.event.payload.step_progress
        progress.event_type = _STEP_PROGRESS
        progress.step_type = pb.STEP_TYPE_INFERENCE
        progress.step_id = step_id
        if tool_call is None:
            progress.delta.text.type = "text"
            progress.delta.text.text = text
        else:
            progress.delta.tool_call.CopyFrom(tool_call)
        return chunk

    @traced("agent.step", lambda turn, **_: {"step_type": "tool_execution", "turn_id": turn.turn_id})
    async def _tool_step(self, plan: TurnPlan, turn, calls):
        step = pb.ToolExecutionStep(turn_id=turn.turn_id, step_id=str(uuid.uuid4()), started_at=_now(),
                                    step_type=pb.STEP_TYPE_TOOL_EXECUTION, tool_calls=calls)
        annotate(step_id=step.step_id)
        yield _chunk(step_start=pb.AgentTurnResponseStepStartPayload(
            event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_STEP_START, step_type=pb.STEP_TYPE_TOOL_EXECUTION,
            step_id=step.step_id))
        for call in calls:
            outcome = await self._tools.invoke(plan.server_tools[call.tool_name], c.completion_message(
                messages_pb2.CompletionMessage(tool_calls=[call]))["tool_calls"][0]["function"]["arguments"])
            response = step.tool_responses.add(call_id=call.call_id, tool_name=call.tool_name,
                                               content=c.text_content(outcome.content))
            response.metadata.update({**outcome.metadata, "error": outcome.error})
        yield await self._complete(plan, turn, pb.Step(tool_execution=step))

    @traced("agent.step", lambda turn, **_: {"step_type": "memory_retrieval", "turn_id": turn.turn_id})
    async def _memory_step(self, plan, turn, documents: list[str]) -> list[pb.AgentTurnResponseStreamChunk]:
        step = pb.MemoryRetrievalStep(turn_id=turn.turn_id, step_id=str(uuid.uuid4()), started_at=_now(),
                                      step_type=pb.STEP_TYPE_MEMORY_RETRIEVAL, vector_db_ids="",
                                      inserted_context=c.text_content("\n\n".join(documents)))
        annotate(step_id=step.step_id)
        # The documents become context of the turn's first user message.
        for message in turn.input_messages:
            if message.WhichOneof("message") == "user":
                message.user.context.CopyFrom(c.text_content("\n\n".join(documents)))
                break
        return await self._whole_step(plan, turn, pb.Step(memory_retrieval=step))

    async def _shield_steps(self, plan, turn, shield_ids, messages) -> tuple[list, object | None]:
        """Run the shields, one shield_call step each: (the steps' events, the first
        violation at error level, which blocks the turn)."""
        chunks, blocking = [], None
        for shield_id in shield_ids:
            step = pb.ShieldCallStep(turn_id=turn.turn_id, step_id=str(uuid.uuid4()), started_at=_now(),
                                     step_type=pb.STEP_TYPE_SHIELD_CALL)
            violation = await self._shields[shield_id].check(messages)
            if violation is not None:
                step.violation.violation_level = _LEVELS[violation.level]
                step.violation.user_message = violation.user_message
                step.violation.metadata.update(violation.metadata)
                if violation.level == "error" and blocking is None:
                    blocking = violation
            chunks.extend(await self._whole_step(plan, turn, pb.Step(shield_call=step)))
        return chunks, blocking

    # ---------------------------------------------------------------- ending

    @staticmethod
    def _last_answer(turn) -> str:
        for step in reversed(turn.steps):
            if step.WhichOneof("step") == "inference":
                return c.content_text(step.inference.model_response.content)
        return ""

    async def _finish(self, plan, turn, replacement: str | None) -> pb.AgentTurnResponseStreamChunk:
        output = messages_pb2.CompletionMessage(role="assistant", content=c.text_content(""),
                                                stop_reason=messages_pb2.STOP_REASON_END_OF_TURN)
        last = _last_model_response(turn)
        if last is not None:
            output.CopyFrom(last)
        if replacement is not None:  # a shield blocked the turn: its message is the answer
            output.content.CopyFrom(c.text_content(replacement))
            del output.tool_calls[:]
        if output.tool_calls:
            # max_infer_iters ended the turn on calls already answered: end_of_turn tells a
            # client not to take them as calls of its own to answer (as the reference server did).
            output.stop_reason = messages_pb2.STOP_REASON_END_OF_TURN
        turn.output_message.CopyFrom(output)
        turn.completed_at.CopyFrom(_now())
        await self._save(plan, turn, TurnStatus(COMPLETED))
        return _chunk(turn_complete=pb.AgentTurnResponseTurnCompletePayload(
            event_type=_E.AGENT_TURN_RESPONSE_EVENT_TYPE_TURN_COMPLETE, turn=turn))

    async def _save(self, plan, turn, status: TurnStatus) -> None:
        await self._store_turn(plan, turn, status)

    def _store_turn(self, plan, turn, status: TurnStatus) -> Written:
        """Queue the turn's write, as it is now: durable once awaited."""
        if status.status != COMPLETED:  # a completed turn's output is its answer, set by _finish
            turn.output_message.CopyFrom(ending_message(turn, status))
        return self._store.put_turn(plan.agent.agent_id, turn, status)


def _last_model_response(turn: pb.Turn) -> messages_pb2.CompletionMessage | None:
    return next((s.inference.model_response for s in reversed(turn.steps) if s.WhichOneof("step") == "inference"),
                None)


def ending_message(turn: pb.Turn, status: TurnStatus) -> messages_pb2.CompletionMessage:
    """The output_message of a turn that is not completed: the spec's Turn requires one and
    has no status field, so the message says where the turn is (docs/decisions-2025.md).
    stop_reason end_of_message: not over (running, or waiting for the client's tool answers:
    then the message is the model's, with its tool calls); end_of_turn: over, and the text
    says how it ended."""
    if status.status == AWAITING_INPUT:
        return _last_model_response(turn)
    message = messages_pb2.CompletionMessage(role="assistant", stop_reason=messages_pb2.STOP_REASON_END_OF_TURN)
    if status.status == IN_PROGRESS:
        message.stop_reason = messages_pb2.STOP_REASON_END_OF_MESSAGE
        message.content.CopyFrom(c.text_content(""))
    else:
        message.content.CopyFrom(c.text_content(f"[turn {status.status}: {status.error}]"))
    return message


def constraint_of(config) -> Constraint | None:
    return constraint_from_response_format(config.response_format, "agent_config.response_format") \
        if config.HasField("response_format") else None
