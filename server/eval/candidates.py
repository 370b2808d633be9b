"""What an eval evaluates: a model (its sampling parameters and system message), or an
agent (an AgentConfig), each row answered by one turn of a fresh session through the
agents API's own turn loop, tools, shields and all."""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod

from llamastack.agents.v1alpha import agents_pb2
from llamastack.common.v1 import messages_pb2
from llamastack.eval.v1alpha import eval_pb2 as pb
from server.agents import content
from server.agents.service import AgentService
from server.errors import InvalidArgument
from server.eval.models import max_batch, require_llm
from server.eval.rows import EvalRow, RowError
from server.inference.chat import ChatRequest, sampling_settings
from server.inference.service import InferenceService


class Candidate(ABC):
    concurrency: int  # rows in flight at once

    @abstractmethod
    async def generate(self, row: EvalRow) -> dict:
        """The row's generation, {"generated_answer": text, ...}; RowError if the row cannot be answered."""


def _check_sampling(settings: dict, field: str) -> None:
    """The chat service checks these too, but under its own field names."""
    if settings["max_tokens"] < 1:
        raise InvalidArgument(f"{field}.max_tokens", "must be at least 1")
    if settings["repetition_penalty"] <= 0:
        raise InvalidArgument(f"{field}.repetition_penalty", "must be greater than 0")
    if not 0.0 < settings.get("top_p", 1.0) <= 1.0:
        raise InvalidArgument(f"{field}.strategy.top_p", "must be in (0, 1]")
    if settings.get("temperature", 0.0) < 0:
        raise InvalidArgument(f"{field}.strategy.temperature", "must be at least 0")
    if settings.get("top_k", 0) < 0:
        raise InvalidArgument(f"{field}.strategy.top_k", "must be at least 0")


class ModelCandidate(Candidate):
    def __init__(self, inference: InferenceService, candidate: pb.ModelCandidate, field: str, background: bool):
        require_llm(inference.registry, candidate.model, f"{field}.model")
        self._settings = sampling_settings(candidate.sampling_params)
        _check_sampling(self._settings, f"{field}.sampling_params")
        self._inference = inference
        self._background = background  # a job's requests take the engine's background budget
        self._model = candidate.model
        self._system = ([{"role": "system", "content": content.content_text(candidate.system_message.content)}]
                        if candidate.HasField("system_message") else [])
        self.concurrency = max_batch(inference.registry, candidate.model)

    async def generate(self, row: EvalRow) -> dict:
        request = ChatRequest(model_id=self._model, messages=self._system + row.messages(),
                              background=self._background, **self._settings)
        result = await self._inference.chat(request)
        return {"generated_answer": result.candidates[0].text}


class AgentCandidate(Candidate):
    """One agent per evaluation (kept afterwards, so its sessions can be read through the
    agents API); one session per row, named after the evaluation and the row."""

    def __init__(self, agents: AgentService, candidate: pb.AgentCandidate, field: str, label: str):
        self._agents = agents
        self._config = candidate.config
        self._field = f"{field}.config"
        self._label = label
        self.agent_id = ""
        self.concurrency = 1

    async def create_agent(self) -> str:
        """Checks the configuration (400 naming the field) and creates the agent."""
        require_llm(self._agents.registry, self._config.model, f"{self._field}.model")
        if self._config.client_tools:
            raise InvalidArgument(f"{self._field}.client_tools", "an eval cannot answer client tool calls")
        try:
            agent = await self._agents.create_agent(self._config)
        except InvalidArgument as exc:
            raise InvalidArgument(exc.field.replace("agent_config", self._field, 1), exc.description) from None
        self.use_agent(agent.agent_id)
        return self.agent_id

    def use_agent(self, agent_id: str) -> None:
        """The agent created for this evaluation earlier (a job resumed after a restart)."""
        agent = self._agents.get_agent(agent_id)
        self.agent_id = agent_id
        self.concurrency = max_batch(self._agents.registry, agent.agent_config.model)

    async def generate(self, row: EvalRow) -> dict:
        # The turn takes the row's user messages; the agent's instructions are its system prompt.
        texts = [m["content"] for m in row.messages() if m["role"] == "user"]
        if not texts:
            raise RowError("the row's messages hold no user message for the agent")
        session = await self._agents.create_session(self.agent_id, f"{self._label} row {row.index}")
        request = agents_pb2.CreateAgentTurnRequest(
            agent_id=self.agent_id, session_id=session.session_id, stream=True,
            messages=[agents_pb2.TurnInputMessage(user=messages_pb2.UserMessage(
                role="user", content=content.text_content(text))) for text in texts])
        last = None
        async with contextlib.aclosing(self._agents.create_turn(request)) as chunks:
            async for chunk in chunks:
                last = chunk.event.payload
        if last is None or last.WhichOneof("payload") != "turn_complete":
            raise RowError("the agent's turn did not complete: it called a tool the eval cannot answer")
        turn = last.turn_complete.turn
        return {"generated_answer": content.content_text(turn.output_message.content), "agent_id": self.agent_id,
                "session_id": session.session_id, "turn_id": turn.turn_id}


def candidate_of(config: pb.BenchmarkConfig, inference: InferenceService, agents: AgentService,
                 label: str, background: bool) -> Candidate:
    field = "benchmark_config.eval_candidate"
    kind = config.eval_candidate.WhichOneof("candidate")
    if kind == "model":
        return ModelCandidate(inference, config.eval_candidate.model, field, background)
    if kind == "agent":
        return AgentCandidate(agents, config.eval_candidate.agent, field, label)
    raise InvalidArgument(f"{field}.type", "is required: model or agent")
