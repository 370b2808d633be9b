"""The torch/transformers engine, with dynamic batching.

One worker thread owns the model. It takes every request waiting (up to max_batch),
runs prefill for the batch, then decodes step by step with the KV cache, applying
each request's own sampling settings, repetition penalty and grammar mask (xgrammar)
to its row, for all rows at once (sampling.py). Requests that arrive meanwhile join at
the next step (continuous batching: their prefill's KV cache is merged into the batch's)
and finished ones leave at once. Tokens go back to each caller's asyncio queue as they
are made, their text decoded incrementally (detokenize.py). A request whose caller has
gone away is dropped from the batch at the next step. Scoring (continuation_logprobs)
goes through the same worker, between two steps, so the model is never run by two
threads at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import torch
from transformers.cache_utils import DynamicCache

from server.inference.batching import next_batch
from server.inference.engines.base import (
    ConstraintError,
    Engine,
    GenerationRequest,
    ScoringEngine,
    TokenEvent,
    control_token_ids,
)
from server.inference.engines.detokenize import IncrementalDetokenizer, find_stop
from server.inference.engines.sampling import apply_repetition_penalty, choose_tokens

log = logging.getLogger(__name__)
_STOP = object()


@dataclass
class _Pending:
    request: GenerationRequest
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue
    cancelled: bool = False
    generated: list[int] = field(default_factory=list)
    detokenizer: IncrementalDetokenizer | None = None
    text: str = ""  # the answer so far
    sent: int = 0  # how much of it the caller has been given
    matcher: object = None
    generator: torch.Generator | None = None
    seen: torch.Tensor | None = None  # tokens the repetition penalty applies to, as a mask
    done: bool = False

    def emit(self, item):
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, item)
        except RuntimeError:  # the caller's event loop is gone: nobody is listening
            self.cancelled = True


@dataclass
class _Scoring:
    """A continuation to score, answered on the caller's future."""

    prompt_ids: list[int]
    continuation_ids: list[int]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    cancelled: bool = False

    def answer(self, value=None, error: BaseException | None = None) -> None:
        def settle():
            if not self.future.done():
                self.future.set_exception(error) if error is not None else self.future.set_result(value)

        with contextlib.suppress(RuntimeError):  # the caller's event loop is gone
            self.loop.call_soon_threadsafe(settle)


@dataclass
class _Batch:
    """The rows being decoded together, with their KV cache, attention mask, next
    positions and the logits for each row's next token."""

    rows: list[_Pending]
    cache: DynamicCache
    mask: torch.Tensor
    positions: torch.Tensor
    logits: torch.Tensor

    def select(self, keep: list[int]) -> None:
        """Keep these rows only, and drop the columns that no kept row attends to any
        more: under steady traffic the batch never empties, and its width must not grow
        with everything it has ever held."""
        index = torch.tensor(keep, device=self.mask.device)
        self.rows = [self.rows[i] for i in keep]
        self.cache.batch_select_indices(index)
        self.mask, self.positions, self.logits = self.mask[index], self.positions[index], self.logits[index]
        unused = int(self.mask.any(dim=0).long().argmax())  # leading columns that are padding in every row
        if unused:
            self.mask = self.mask[:, unused:]
            self.cache = DynamicCache([(layer.keys[:, :, unused:], layer.values[:, :, unused:])
                                       for layer in self.cache.layers])

    def merge(self, other: _Batch) -> None:
        width = max(self.mask.shape[1], other.mask.shape[1])
        layers = [(torch.cat([_left_pad(a.keys, width, 2), _left_pad(b.keys, width, 2)]),
                   torch.cat([_left_pad(a.values, width, 2), _left_pad(b.values, width, 2)]))
                  for a, b in zip(self.cache.layers, other.cache.layers, strict=True)]
        self.cache = DynamicCache(layers)
        self.mask = torch.cat([_left_pad(self.mask, width, 1), _left_pad(other.mask, width, 1)])
        self.positions = torch.cat([self.positions, other.positions])
        self.logits = torch.cat([self.logits, other.logits])
        self.rows = self.rows + other.rows


def _left_pad(tensor: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    """Zeros before the tensor along dim, up to width (masked out by the attention mask)."""
    missing = width - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([torch.zeros(shape, dtype=tensor.dtype, device=tensor.device), tensor], dim)


class TransformersEngine(Engine, ScoringEngine):
    name = "transformers"

    def __init__(self, checkpoint: str, device: str = "cpu", max_batch: int = 32, dtype: str = "auto"):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(checkpoint)
        torch_dtype = {"auto": None, "float32": torch.float32, "bfloat16": torch.bfloat16,
                       "float16": torch.float16}[dtype]
        self.model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch_dtype).to(device).eval()
        self.device = device
        self.max_batch = max_batch
        self.vocab_size = self.model.config.vocab_size
        self.stop_ids = self._stop_token_ids()
        self.pad_id = self._tokenizer.pad_token_id if self._tokenizer.pad_token_id is not None else self.stop_ids[0]
        self._grammar_compiler = None
        self._running: list[_Pending] = []
        self._waiting: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="transformers-engine", daemon=True)
        self._worker.start()

    @property
    def tokenizer(self):
        return self._tokenizer

    def _stop_token_ids(self) -> list[int]:
        ids = set()
        eos = self.model.generation_config.eos_token_id
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        for token in ("<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"):
            token_id = self._tokenizer.convert_tokens_to_ids(token)
            if isinstance(token_id, int) and token_id != self._tokenizer.unk_token_id:
                ids.add(token_id)
        if self._tokenizer.eos_token_id is not None:
            ids.add(self._tokenizer.eos_token_id)
        return sorted(ids)

    # ---------------------------------------------------------------- public

    async def generate(self, request: GenerationRequest) -> AsyncIterator[TokenEvent]:
        pending = _Pending(request, asyncio.get_running_loop(), asyncio.Queue(),
                           detokenizer=IncrementalDetokenizer(self._tokenizer))
        if request.constraint is not None:
            pending.matcher = self._matcher(request.constraint)  # compile errors surface here
        self._waiting.put(pending)
        try:
            while True:
                item = await pending.events.get()
                if item is _STOP:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            pending.cancelled = True  # the worker drops it at the next step

    def close(self) -> None:
        self._waiting.put(None)

    @property
    def alive(self) -> bool:
        """False once the worker thread has ended (closed, or died): nothing would answer."""
        return self._worker.is_alive()

    @property
    def active_requests(self) -> int:
        """Requests being decoded right now (a cancelled one leaves at the next step)."""
        return sum(1 for p in self._running if not p.done)

    @property
    def waiting_requests(self) -> int:
        """Requests queued for a place in the batch."""
        return self._waiting.qsize()

    async def continuation_logprobs(self, prompt_ids: list[int], continuation_ids: list[int]) -> list[float]:
        loop = asyncio.get_running_loop()
        job = _Scoring(prompt_ids, continuation_ids, loop, loop.create_future())
        self._waiting.put(job)
        try:
            return await job.future
        finally:
            job.cancelled = True

    def _score(self, job: _Scoring) -> None:
        """Runs on the worker thread, between batches or between two steps of one."""
        if job.cancelled:
            return
        try:
            ids = torch.tensor([job.prompt_ids + job.continuation_ids], device=self.device)
            logits = self.model(input_ids=ids).logits[0, len(job.prompt_ids) - 1: -1].float()
            continuation = torch.tensor(job.continuation_ids, device=self.device)[:, None]
            job.answer(torch.log_softmax(logits, -1).gather(1, continuation)[:, 0].tolist())
        except Exception as exc:  # a bad input fails this caller, not the engine
            job.answer(error=exc)

    # ---------------------------------------------------------------- grammar

    def _matcher(self, constraint):
        import xgrammar as xgr

        if self._grammar_compiler is None:
            info = xgr.TokenizerInfo.from_huggingface(self._tokenizer, vocab_size=self.vocab_size,
                                                      stop_token_ids=self.stop_ids)
            self._grammar_compiler = xgr.GrammarCompiler(info)
        try:
            if constraint.json_schema is not None:
                compiled = self._grammar_compiler.compile_json_schema(json.dumps(constraint.json_schema),
                                                                      any_whitespace=False)
            else:
                compiled = self._grammar_compiler.compile_grammar(constraint.grammar)
        except Exception as exc:  # xgrammar reports bad schemas and grammars in several types
            raise ConstraintError(str(exc)) from None
        return xgr.GrammarMatcher(compiled)

    @functools.cached_property
    def _control_tokens(self) -> torch.Tensor:
        banned = torch.zeros(self.vocab_size, dtype=torch.bool, device=self.device)
        banned[control_token_ids(self._tokenizer, self.vocab_size, self.stop_ids)] = True
        return banned

    # ---------------------------------------------------------------- worker

    def _run(self):
        while (batch := next_batch(self._waiting, self.max_batch)) is not None:
            with torch.inference_mode():
                for job in batch:
                    if isinstance(job, _Scoring):
                        self._score(job)
            batch = [p for p in batch if isinstance(p, _Pending) and not p.cancelled]
            if not batch:
                continue
            try:
                with torch.inference_mode():
                    self._decode(batch)
            except Exception as exc:  # a bug or OOM fails these callers, not the engine
                log.exception("generation failed")
                for p in self._running:
                    if not p.done:
                        p.emit(exc)
            finally:
                for p in self._running:
                    p.done = True
                    p.emit(_STOP)
                self._running = []

    def _decode(self, batch: list[_Pending]):
        """Continuous batching: requests that arrive while a batch decodes join it at the
        next step (prefilled, their KV cache merged in); finished ones leave it at once."""
        state = self._prefill(batch)
        while True:
            self._admit_waiting(state)
            for p in state.rows:
                if p.cancelled:
                    p.done = True
            tokens = self._step(state)
            keep = [row for row, p in enumerate(state.rows) if not p.done]
            for p in state.rows:
                if p.done:
                    p.emit(_STOP)
            if not keep:
                self._running = []
                return
            if len(keep) < len(state.rows):
                state.select(keep)
                tokens = tokens[keep]
            state.mask = torch.cat([state.mask, torch.ones((len(keep), 1), dtype=torch.long, device=self.device)], 1)
            out = self.model(input_ids=tokens[:, None].to(self.device), attention_mask=state.mask,
                             position_ids=state.positions, past_key_values=state.cache, use_cache=True)
            state.cache, state.logits = out.past_key_values, out.logits[:, -1, :].float()
            state.positions = state.positions + 1
            self._running = state.rows

    def _prefill(self, batch: list[_Pending]) -> _Batch:
        for p in batch:
            if p.request.seed is not None:
                p.generator = torch.Generator(device=self.device).manual_seed(p.request.seed)
            if p.request.repetition_penalty != 1.0:
                p.seen = torch.zeros(self.vocab_size, dtype=torch.bool, device=self.device)
                p.seen[torch.tensor(p.request.prompt_ids, device=self.device)] = True
        lengths = [len(p.request.prompt_ids) for p in batch]
        width = max(lengths)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, p in enumerate(batch):  # left padding keeps every row's last token aligned
            input_ids[row, width - lengths[row]:] = torch.tensor(p.request.prompt_ids)
            mask[row, width - lengths[row]:] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True)
        self._running = self._running + batch
        return _Batch(list(batch), out.past_key_values, mask, positions[:, -1:] + 1, out.logits[:, -1, :].float())

    def _admit_waiting(self, state: _Batch) -> None:
        newcomers = []
        while len(state.rows) + len(newcomers) < self.max_batch:
            try:
                item = self._waiting.get_nowait()
            except queue.Empty:
                break
            if item is None:  # shutting down: finish this batch, then stop
                self._waiting.put(None)
                break
            if isinstance(item, _Scoring):
                self._score(item)
            elif not item.cancelled:
                newcomers.append(item)
        if newcomers:
            state.merge(self._prefill(newcomers))

    def _step(self, state: _Batch) -> torch.Tensor:
        """Choose the next token of every row at once, then hand each row its token. A row
        that fails (nothing left to sample from, a grammar error) fails alone."""
        rows = state.rows
        logits = state.logits[:, : self.vocab_size].clone()
        wants_logprobs = [i for i, p in enumerate(rows) if p.request.logprobs]
        raw_logprobs = torch.log_softmax(logits[wants_logprobs], -1) if wants_logprobs else None
        penalized = [i for i, p in enumerate(rows) if p.seen is not None and p.generated]
        if penalized:
            penalty = torch.tensor([rows[i].request.repetition_penalty for i in penalized], device=logits.device)
            logits[penalized] = apply_repetition_penalty(
                logits[penalized], torch.stack([rows[i].seen for i in penalized]), penalty)
        self._apply_grammars(rows, logits)
        tokens, failed = choose_tokens(
            logits,
            torch.tensor([p.request.temperature for p in rows], device=logits.device),
            torch.tensor([p.request.top_k for p in rows], device=logits.device),
            torch.tensor([p.request.top_p for p in rows], device=logits.device),
            [p.generator for p in rows])
        chosen = tokens.tolist()
        logprobs = dict(zip(wants_logprobs, raw_logprobs.gather(1, tokens[wants_logprobs, None])[:, 0].tolist(),
                            strict=True)) if wants_logprobs else {}
        for row, (p, token, bad) in enumerate(zip(rows, chosen, failed.tolist(), strict=True)):
            if p.done:
                continue
            try:
                if bad:
                    raise ValueError("no token is left to sample from: top_p, top_k or the grammar excluded all")
                self._advance(p, token, logprobs.get(row))
            except Exception as exc:  # one bad request fails alone, not its batch
                log.exception("generation failed for one request")
                p.emit(exc)
                p.done = True
        return tokens.cpu()

    def _apply_grammars(self, rows: list[_Pending], logits: torch.Tensor) -> None:
        constrained = [i for i, p in enumerate(rows) if p.matcher is not None and not p.done]
        if not constrained:
            return
        import xgrammar as xgr

        bitmask = xgr.allocate_token_bitmask(len(rows), self.vocab_size)
        for i in constrained:
            rows[i].matcher.fill_next_token_bitmask(bitmask, i)
        xgr.apply_token_bitmask_inplace(logits, bitmask.to(logits.device), indices=constrained)
        banning = [i for i in constrained if rows[i].request.constraint.bans_control_characters]
        if banning:
            logits[banning] = logits[banning].masked_fill(self._control_tokens, float("-inf"))

    def _advance(self, p: _Pending, token: int, logprob: float | None) -> None:
        """Give p its next token: tell its caller the text it completes, and mark p done
        when it finishes."""
        request = p.request
        p.generated.append(token)
        if p.seen is not None:
            p.seen[token] = True
        finish = None
        if p.matcher is not None:
            p.matcher.accept_token(token)
            if p.matcher.is_terminated():
                finish = "stop"
        if token in self.stop_ids and not request.ignore_eos:
            finish = "stop"
        searched = len(p.text)
        if token not in self.stop_ids:
            p.detokenizer.add(token)
            p.text = p.detokenizer.text
        if finish is None and request.stop:
            cut = find_stop(p.text, request.stop, searched)
            if cut is not None:
                p.text, finish = p.text[:cut], "stop"
        if finish is None and len(p.generated) >= request.max_tokens:
            finish = "length"
        # Text that could be the start of a stop string is held back until it cannot.
        hold = 0 if finish or not request.stop else max(len(stop) for stop in request.stop) - 1
        ready = max(p.sent, len(p.text) - hold)
        text, p.sent = p.text[p.sent:ready], ready
        p.emit(TokenEvent(token_id=token, text=text, logprob=logprob, finish_reason=finish))
        if finish is not None:
            p.done = True
