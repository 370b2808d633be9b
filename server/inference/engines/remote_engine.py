"""An LLM served by remote OpenAI-compatible servers (vLLM's `vllm serve`, or any server
with vLLM's completions extensions): token ids in, token ids out.

The prompt goes as token ids to `/v1/completions` (streamed), so chat templates, tool
calls and stop handling stay the inference service's, as with the in-process engines;
`return_tokens_as_token_ids` brings the ids back with their log-probabilities. Structured
output goes as vLLM's `structured_outputs` (JSON schema or grammar). Leaving the iterator
closes the HTTP stream, and vLLM aborts the request when its client goes. Several upstream
URLs are used in turn; one that fails to connect is skipped until a GET /health answers.
"""
from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx

from server.errors import InvalidArgument
from server.inference.engines.base import ConstraintError, Engine, GenerationRequest, TokenEvent, control_token_ids

RETRY_AFTER = 5.0  # seconds an upstream that failed is skipped before it is probed again


class Upstreams:
    """Round robin over the upstream URLs that are healthy."""

    def __init__(self, urls: list[str]):
        if not urls:
            raise ValueError("a remote model needs at least one upstream URL")
        self.urls = [url.rstrip("/") for url in urls]
        self._next = 0
        self._down_until = {url: 0.0 for url in self.urls}

    def order(self) -> list[str]:
        """Every upstream, the next in turn first; those marked down (and not yet due for a
        probe) last."""
        start, self._next = self._next, (self._next + 1) % len(self.urls)
        turn = self.urls[start:] + self.urls[:start]
        now = time.monotonic()
        return [u for u in turn if self._down_until[u] <= now] + [u for u in turn if self._down_until[u] > now]

    def due_for_probe(self, url: str) -> bool:
        return self._down_until[url] > 0

    def mark_down(self, url: str) -> None:
        self._down_until[url] = time.monotonic() + RETRY_AFTER

    def mark_up(self, url: str) -> None:
        self._down_until[url] = 0.0

    @property
    def any_up(self) -> bool:
        now = time.monotonic()
        return any(until <= now for until in self._down_until.values())


class RemoteEngine(Engine):
    name = "remote"

    def __init__(self, checkpoint: str, upstreams: list[str], upstream_model: str = "", timeout: float = 600):
        """checkpoint: a folder (or hub id) holding the served model's tokenizer;
        upstream_model: the name the servers serve it under (default: checkpoint)."""
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        self.upstreams = Upstreams(upstreams)
        self.upstream_model = upstream_model or checkpoint
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._control: tuple[int, ...] | None = None
        self._closed = False

    @property
    def tokenizer(self):
        return self._tokenizer

    def _control_tokens(self) -> tuple[int, ...]:
        if self._control is None:
            keep = [t for t in (self._tokenizer.eos_token_id, self._tokenizer.pad_token_id) if t is not None]
            self._control = tuple(control_token_ids(self._tokenizer, len(self._tokenizer), keep))
        return self._control

    def _body(self, request: GenerationRequest) -> dict:
        body = {"model": self.upstream_model, "prompt": request.prompt_ids, "stream": True,
                "max_tokens": request.max_tokens, "temperature": request.temperature, "top_p": request.top_p,
                "top_k": request.top_k if request.top_k > 0 else -1,
                "repetition_penalty": request.repetition_penalty, "ignore_eos": request.ignore_eos,
                "logprobs": 1, "return_tokens_as_token_ids": True}
        if request.stop:
            body["stop"] = request.stop
        if request.seed is not None:
            body["seed"] = request.seed
        constraint = request.constraint
        if constraint is not None:
            # Compact JSON needs the server started with disable_any_whitespace (docs/configuration.md).
            body["structured_outputs"] = ({"json": constraint.json_schema} if constraint.json_schema is not None
                                          else {"grammar": constraint.grammar})
            if constraint.bans_control_characters:
                body["logit_bias"] = {str(token_id): -100 for token_id in self._control_tokens()}
        return body

    async def _health(self, url: str) -> bool:
        try:
            return (await self._http().get(f"{url}/health", timeout=5)).status_code == 200
        except httpx.HTTPError:
            return False

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # made on first use, on the server's event loop
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout, connect=5))
        return self._client

    async def generate(self, request: GenerationRequest) -> AsyncIterator[TokenEvent]:
        body = self._body(request)
        last_error: Exception | None = None
        for url in self.upstreams.order():
            if self.upstreams.due_for_probe(url) and not await self._health(url):
                self.upstreams.mark_down(url)
                continue
            try:
                async with self._http().stream("POST", f"{url}/v1/completions", json=body) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise _request_error(response.status_code, _message(response), request)
                    self.upstreams.mark_up(url)
                    async for event in _events(response, request):
                        yield event
                return
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self.upstreams.mark_down(url)  # try the next one; nothing was generated yet
                last_error = exc
        raise ConnectionError(f"no upstream of {self.upstream_model!r} answered "
                              f"({', '.join(self.upstreams.urls)}): {last_error}")

    @property
    def alive(self) -> bool:
        return not self._closed and self.upstreams.any_up

    def close(self) -> None:
        self._closed = True


def _message(response: httpx.Response) -> str:
    try:
        return response.json().get("error", {}).get("message") or response.text
    except ValueError:
        return response.text


def _request_error(status: int, message: str, request: GenerationRequest) -> Exception:
    if status >= 500:
        return RuntimeError(f"upstream error {status}: {message}")
    if request.constraint is not None and ("schema" in message.lower() or "grammar" in message.lower()):
        return ConstraintError(message)
    return InvalidArgument("options", f"the model server refused the request: {message}")


async def _events(response: httpx.Response, request: GenerationRequest) -> AsyncIterator[TokenEvent]:
    """Token events from the SSE stream. The last token is held back until the stream says
    why it ended (vLLM may send the finish reason in a chunk of its own). A request refused
    once streaming began comes as an `error` event."""
    held: TokenEvent | None = None
    async for line in response.aiter_lines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        payload = json.loads(line[5:])
        if "error" in payload:
            error = payload["error"]
            raise _request_error(int(error.get("code") or 400), error.get("message", ""), request)
        choice = payload["choices"][0]
        logprobs = choice.get("logprobs") or {}
        tokens = logprobs.get("tokens") or []
        values = logprobs.get("token_logprobs") or [None] * len(tokens)
        for i, (token, logprob) in enumerate(zip(tokens, values, strict=False)):
            if held is not None:
                yield held
            held = TokenEvent(token_id=int(token.removeprefix("token_id:")),
                              text=choice.get("text", "") if i == len(tokens) - 1 else "",
                              logprob=logprob if request.logprobs else None)
        if not tokens and held is not None:
            held.text += choice.get("text", "")
        if choice.get("finish_reason") is not None and held is not None:
            held.finish_reason = choice["finish_reason"]
    if held is not None:
        held.finish_reason = held.finish_reason or "stop"
        yield held
