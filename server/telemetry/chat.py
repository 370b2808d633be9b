"""`@traced_chat`, for the inference service's chat generator: its span carries the model,
the time to the first token and the token counts, which are also recorded as metrics."""
from __future__ import annotations

import time

from server.inference.chat import ChatRequest, ChatResult
from server.telemetry.instrument import traced


def _watch_chat(sink, span, request: ChatRequest, **_):
    started, first_token = time.perf_counter(), None

    def see(item) -> None:
        nonlocal first_token
        if isinstance(item, ChatResult):
            span.set_attributes({"prompt_tokens": item.prompt_tokens, "completion_tokens": item.completion_tokens,
                                 "total_tokens": item.prompt_tokens + item.completion_tokens})
            sink.record_chat(request.model_id, item.prompt_tokens, item.completion_tokens, first_token)
        elif first_token is None:
            first_token = time.perf_counter() - started
            span.set_attribute("time_to_first_token_s", first_token)
    return see


# For `chat_stream(self, request)`, which yields deltas and then one ChatResult.
traced_chat = traced("inference.chat", lambda request, **_: {
    "model_id": request.model_id, "n": request.n, "max_tokens": request.max_tokens}, watch=_watch_chat)
