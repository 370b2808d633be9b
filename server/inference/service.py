"""The inference domain service: chat (streamed or whole, n candidates, constrained
decoding, tool calls), embeddings, rerank and reward scoring. Plain Python."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from server.errors import InvalidArgument
from server.inference import chat
from server.inference.chat import Candidate, ChatDelta, ChatRequest, ChatResult
from server.inference.engines.base import ConstraintError, Engine, GenerationRequest, ScoringEngine, TokenEvent
from server.inference.models import ModelRegistry
from server.jobs.budget import EngineBudget
from server.telemetry.chat import traced_chat
from server.telemetry.instrument import traced


@dataclass
class RewardScore:
    score: float
    logprob: float | None


REWARD_FUNCTIONS = ("reward_model", "mean_logprob")


class InferenceService:
    def __init__(self, registry: ModelRegistry, budget: EngineBudget | None = None):
        self.registry = registry
        self.budget = budget or EngineBudget(lambda model_id: registry.spec(model_id).max_batch)

    @contextlib.asynccontextmanager
    async def _engine_slot(self, model_id: str, background: bool):
        """Background requests wait for the model's background budget; interactive ones
        only count, so that background work leaves them room."""
        if background:
            async with self.budget.background(model_id):
                yield
        else:
            with self.budget.interactive(model_id):
                yield

    # ---------------------------------------------------------------- chat

    def _llm(self, model_id: str) -> Engine:
        return self.registry.get(model_id, ("llm",))

    def default_llm(self) -> str:
        spec = self.registry.first("llm")
        if spec is None:
            raise InvalidArgument("model", "no LLM is configured on this server")
        return spec.id

    def check_chat(self, request: ChatRequest) -> Engine:
        """The request's engine, once the request is known to be valid (else InvalidArgument
        naming the field, NotFound for an unknown model)."""
        if request.n < 1:
            raise InvalidArgument("n_completions", "must be at least 1")
        if request.max_tokens < 1:
            raise InvalidArgument("options.max_tokens", "must be at least 1")
        if not 0.0 < request.top_p <= 1.0:
            raise InvalidArgument("options.top_p", "must be in (0, 1]")
        if request.temperature < 0:
            raise InvalidArgument("options.temperature", "must be at least 0")
        if request.top_k < 0:
            raise InvalidArgument("options.top_k", "must be at least 0")
        if request.repetition_penalty <= 0:
            raise InvalidArgument("options.repetition_penalty", "must be greater than 0")
        chat.check_tools(request)
        return self._llm(request.model_id)

    @traced_chat
    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatResult]:
        """Yields ChatDelta pieces of every candidate as they are made (interleaved),
        then one ChatResult with the whole answers and the token usage."""
        engine = self.check_chat(request)
        prompt = chat.render_prompt(engine.tokenizer, request)
        tool_format = chat.tool_format(request)
        forced = chat.forced_tools(request)
        constraint = tool_format.constraint(forced) if forced else request.response_format
        candidates = [Candidate() for _ in range(request.n)]
        generations = [GenerationRequest(
            prompt_ids=prompt, max_tokens=request.max_tokens, temperature=request.temperature,
            top_p=request.top_p, top_k=request.top_k, repetition_penalty=request.repetition_penalty,
            stop=request.stop, logprobs=request.logprobs, constraint=constraint,
            seed=None if request.seed is None else request.seed + index) for index in range(request.n)]
        async with contextlib.aclosing(self._events(request, engine, generations)) as events:
            async for index, event in events:
                candidate = candidates[index]
                candidate.text += event.text
                candidate.tokens.append(event.token_id)
                if event.logprob is not None:
                    candidate.logprobs.append(event.logprob)
                delta = ChatDelta(candidate=index, text=event.text, token_id=event.token_id,
                                  logprob=event.logprob, finish_reason=event.finish_reason)
                if event.finish_reason is not None:
                    candidate.finish_reason = event.finish_reason
                    candidate.tool_call = tool_format.parse(candidate.text, chat.offered_tools(request))
                    delta.tool_call = candidate.tool_call
                yield delta
        yield ChatResult(candidates=candidates, prompt_tokens=len(prompt),
                         completion_tokens=sum(len(c.tokens) for c in candidates))

    async def _events(self, request: ChatRequest, engine: Engine,
                      generations: list[GenerationRequest]) -> AsyncIterator[tuple[int, TokenEvent]]:
        """(candidate index, token event) of every candidate, interleaved as they are made.
        One candidate is read straight from the engine: no task and queue hop per token."""
        if len(generations) == 1:
            try:
                async with (self._engine_slot(request.model_id, request.background),
                            contextlib.aclosing(engine.generate(generations[0])) as stream):
                    async for event in stream:
                        yield 0, event
            except Exception as exc:
                raise _as_service_error(exc) from None
            return
        queue: asyncio.Queue = asyncio.Queue()

        async def run(index: int, generation: GenerationRequest):
            try:
                async with self._engine_slot(request.model_id, request.background):
                    async for event in engine.generate(generation):
                        await queue.put((index, event))
                await queue.put((index, None))
            except Exception as exc:
                await queue.put((index, exc))

        tasks = [asyncio.create_task(run(i, generation)) for i, generation in enumerate(generations)]
        try:
            running = len(generations)
            while running:
                index, event = await queue.get()
                if isinstance(event, Exception):
                    raise _as_service_error(event)
                if event is None:
                    running -= 1
                    continue
                yield index, event
        finally:
            for task in tasks:
                task.cancel()  # a caller that left early aborts every engine request

    async def chat(self, request: ChatRequest) -> ChatResult:
        result = None
        async for item in self.chat_stream(request):
            result = item
        return result

    # ---------------------------------------------------------------- embeddings and rerank

    @traced("inference.embeddings", lambda model_id, texts, **_: {"model_id": model_id, "inputs": len(texts)})
    async def embed(self, model_id: str, texts: list[str]) -> np.ndarray:
        return await self.registry.get(model_id, ("embedding",)).embed(texts)

    @traced("inference.rerank", lambda model_id, items, **_: {"model_id": model_id, "items": len(items)})
    async def rerank(self, model_id: str, query: str, items: list[str], max_num_results: int | None):
        """(index, relevance score) pairs, most relevant first."""
        if max_num_results is not None and max_num_results < 1:
            raise InvalidArgument("max_num_results", "must be at least 1")
        self.registry.require(model_id, "model")
        model = self.registry.get(model_id, ("rerank", "embedding"))
        if not items:
            return []
        if self.registry.spec(model_id).kind == "rerank":
            scores = await model.score(query, items)
        else:  # cosine similarity under the embedding model (vectors are unit length)
            vectors = await model.embed([query, *items])
            scores = (vectors[1:] @ vectors[0]).tolist()
        ranked = sorted(enumerate(scores), key=lambda pair: pair[1], reverse=True)
        return ranked[:max_num_results] if max_num_results else ranked

    # ---------------------------------------------------------------- reward scoring

    def check_scoring(self, model_id: str | None, function: str | None,
                      model_field: str = "reward") -> tuple[str, str]:
        """(model id, scoring function), defaults filled in and checked: `reward_model` needs
        a reward model, `mean_logprob` an LLM that scores log-probabilities."""
        model_id = model_id or self._default_reward_model()
        spec = self.registry.spec(model_id)
        function = function or ("reward_model" if spec.kind == "reward" else "mean_logprob")
        if function not in REWARD_FUNCTIONS:
            raise InvalidArgument("scoring_function.name",
                                  f"unknown scoring function {function!r}; known: {', '.join(REWARD_FUNCTIONS)}")
        model = self.registry.get(model_id, ("reward",) if function == "reward_model" else ("llm",), model_field)
        if function == "mean_logprob" and not isinstance(model, ScoringEngine):
            raise InvalidArgument(model_field, f"model '{model_id}' cannot score log-probabilities")
        return model_id, function

    @traced("inference.reward", lambda model_id, **_: {"model_id": model_id})
    async def score_reward(self, model_id: str | None, messages: list[dict], response: str,
                           function: str | None, background: bool = False) -> RewardScore:
        model_id, function = self.check_scoring(model_id, function)
        async with self._engine_slot(model_id, background):
            if function == "reward_model":
                reward = self.registry.get(model_id, ("reward",), "reward")
                prompt = chat.render_prompt(reward.tokenizer, ChatRequest(model_id, messages))
                score = await reward.score(prompt + chat.encode_continuation(reward.tokenizer, response))
                logprob = None
                llm = self.registry.first("llm")
                if llm is not None:
                    logprob = sum(await self._logprobs(llm.id, messages, response))
                return RewardScore(score=score, logprob=logprob)
            logprobs = await self._logprobs(model_id, messages, response)
            return RewardScore(score=float(np.mean(logprobs)) if logprobs else 0.0, logprob=float(sum(logprobs)))

    async def _logprobs(self, model_id: str, messages: list[dict], response: str) -> list[float]:
        engine = self.registry.get(model_id, ("llm",), "reward")
        if not isinstance(engine, ScoringEngine):
            raise InvalidArgument("reward", f"model '{model_id}' cannot score log-probabilities")
        prompt = chat.render_prompt(engine.tokenizer, ChatRequest(model_id, messages))
        continuation = chat.encode_continuation(engine.tokenizer, response)
        if not continuation:
            raise InvalidArgument("prompt_with_response", "the response to score is empty")
        return await engine.continuation_logprobs(prompt, continuation)

    def _default_reward_model(self) -> str:
        spec = self.registry.first("reward") or self.registry.first("llm")
        if spec is None:
            raise InvalidArgument("reward", "no reward model or LLM is configured on this server")
        return spec.id


def _as_service_error(error: Exception) -> Exception:
    if isinstance(error, ConstraintError):
        return InvalidArgument("options.response_format", f"cannot be compiled: {error}")
    return error
