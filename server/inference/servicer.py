"""Thin servicers for inference: the draft's chat (unary and streamed) and reward
scoring, and the 2025 rerank. They translate protos to the service's plain types."""
from __future__ import annotations

import uuid
from contextlib import aclosing

from llamastack.inference.v0 import inference_pb2 as chat_pb2
from llamastack.inference.v1alpha import inference_pb2 as rerank_pb2
from llamastack.rewardscoring.v0 import rewardscoring_pb2 as reward_pb2
from llamastack_grpc import quoted
from server.errors import InvalidArgument
from server.inference import draft_messages as draft
from server.inference import tool_formats
from server.inference.chat import ChatDelta, ChatRequest, tool_from_def
from server.inference.service import InferenceService


def chat_request(service: InferenceService, request: chat_pb2.ChatCompletionRequest) -> ChatRequest:
    tools = [tool_from_def(t, f"tools[{i}]") for i, t in enumerate(request.tools)]
    return ChatRequest(
        model_id=request.model if request.HasField("model") else service.default_llm(),
        messages=draft.messages(request.messages, "messages"),
        tools=tools, tool_choice=request.tool_choice if request.HasField("tool_choice") else "auto",
        tool_prompt_format=tool_formats.name_from_proto(request.tool_prompt_format),
        n=request.n_completions if request.HasField("n_completions") else 1,
        **draft.sampling(request.options, "options"),
    )


class ChatServicer:
    def __init__(self, service: InferenceService):
        self._service = service

    async def ChatCompletion(self, request, context):
        chat = chat_request(self._service, request)
        result = await self._service.chat(chat)
        response_id = f"chatcmpl-{uuid.uuid4().hex}"
        return chat_pb2.ChatCompletionResponse(
            id=response_id, model_called=chat.model_id, usage=draft.usage(result),
            candidates=[draft.output_message(response_id, i, c.text, c.tokens, c.logprobs, c.finish_reason,
                                             c.tool_call) for i, c in enumerate(result.candidates)])

    async def StreamChatCompletion(self, request, context):
        chat = chat_request(self._service, request)
        response_id = f"chatcmpl-{uuid.uuid4().hex}"
        async with aclosing(self._service.chat_stream(chat)) as stream:  # closed at once when the caller leaves
            async for item in stream:
                if isinstance(item, ChatDelta):
                    yield chat_pb2.ChatCompletionResponse(id=response_id, model_called=chat.model_id, candidates=[
                        draft.output_message(response_id, item.candidate, item.text, [item.token_id],
                                             [item.logprob] if item.logprob is not None else [], item.finish_reason,
                                             item.tool_call)])
                else:
                    yield chat_pb2.ChatCompletionResponse(id=response_id, model_called=chat.model_id,
                                                          usage=draft.usage(item))


def _rerank_text(value, field: str) -> str:
    kind = value.WhichOneof(value.DESCRIPTOR.oneofs[0].name)
    if kind == "text":
        return value.text
    if kind == "text_part":
        if value.text_part.type != "text":  # the spec's const: it tells the part's kind
            raise InvalidArgument(f"{field}.type", f"must be 'text', got {quoted(value.text_part.type)}")
        return value.text_part.text
    if kind == "image_part":
        raise InvalidArgument(field, "image items are not supported: the rerank models here read text only")
    raise InvalidArgument(field, "is required")


class RerankServicer:
    def __init__(self, service: InferenceService):
        self._service = service

    async def Rerank(self, request, context):
        ranked = await self._service.rerank(
            request.model, _rerank_text(request.query, "query"),
            [_rerank_text(item, f"items[{i}]") for i, item in enumerate(request.items)],
            request.max_num_results if request.HasField("max_num_results") else None)
        return rerank_pb2.RerankResponse(data=[rerank_pb2.RerankData(index=i, relevance_score=s) for i, s in ranked])


class RewardScoringServicer:
    def __init__(self, service: InferenceService):
        self._service = service

    async def ScoreReward(self, request, context):
        messages = draft.messages(request.prompt_with_response, "prompt_with_response")
        if messages[-1]["role"] != "assistant":
            raise InvalidArgument("prompt_with_response", "must end with the response (a model output message)")
        result = await self._service.score_reward(
            request.reward if request.HasField("reward") else None, messages[:-1], messages[-1]["content"],
            request.scoring_function.name if request.scoring_function.HasField("name") else None)
        response = reward_pb2.ScoreRewardResponse(id=f"reward-{uuid.uuid4().hex}", score=result.score)
        if result.logprob is not None:
            response.logprob = result.logprob
        return response
