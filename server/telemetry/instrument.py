"""What domain code calls to trace its work: `@traced(name, ...)` on a method (a
coroutine or an async generator), `annotate(...)` for attributes known only inside it,
and (server/telemetry/chat.py) `@traced_chat` on the chat generator.

Spans go to the telemetry of the server that runs the current task. `App.start()`
activates its telemetry in a context variable, which every task and thread started
from there inherits (grpc.aio handlers, the gateway, jobs, `asyncio.to_thread`), so
several servers in one process (tests) keep their spans and metrics apart, and code
run outside any server traces nothing and costs one context-variable read.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode


class Sink(Protocol):
    """The part of a server's telemetry that instrumented code reaches."""

    tracer: trace.Tracer

    def record_chat(self, model_id: str, prompt_tokens: int, completion_tokens: int,
                    time_to_first_token: float | None) -> None: ...


_active: ContextVar[Sink | None] = ContextVar("llama_stack_telemetry", default=None)


def activate(sink: Sink) -> None:
    """Make sink the telemetry of the current context and of everything started from it."""
    _active.set(sink)


def current() -> Sink | None:
    return _active.get()


def _clean(attributes: dict | None) -> dict | None:
    return {k: v for k, v in attributes.items() if v is not None} if attributes else None


def _failed(span, error: BaseException) -> None:
    """An exception is an error, and so is cancellation (the caller left), without being
    recorded as an exception."""
    if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
        span.set_status(Status(StatusCode.ERROR, "cancelled"))
    elif isinstance(error, Exception):
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {getattr(error, 'message', error)}"))


@contextlib.contextmanager
def current_span(tracer: trace.Tracer, name: str, attributes: dict | None):
    """A current span whose status says how the block ended (_failed)."""
    with tracer.start_as_current_span(name, attributes=_clean(attributes), record_exception=False,
                                      set_status_on_exception=False) as span:
        try:
            yield span
        except BaseException as error:
            _failed(span, error)
            raise


def traced(name: str, attributes: Callable[..., dict] | None = None,
           result: Callable[[Any], dict] | None = None,
           watch: Callable[..., Callable[[Any], None]] | None = None):
    """Decorate a coroutine function or an async generator function: each call runs in a
    span `name`. `attributes(**arguments)` (the call's arguments by parameter name)
    gives the span's first attributes; `result(value)` adds attributes from a coroutine's
    return value; for a generator, `watch(sink, span, **arguments)` returns a function
    that sees every item it yields."""
    def decorate(fn):
        signature = inspect.signature(fn)

        def arguments(args, kwargs) -> dict:
            return signature.bind(*args, **kwargs).arguments

        if inspect.isasyncgenfunction(fn):
            @functools.wraps(fn)
            async def generator(*args, **kwargs):
                sink = current()
                if sink is None:
                    async with contextlib.aclosing(fn(*args, **kwargs)) as items:
                        async for item in items:
                            yield item
                    return
                named = arguments(args, kwargs) if attributes or watch else {}
                span = sink.tracer.start_span(name, attributes=_clean(attributes and attributes(**named)))
                see = watch(sink, span, **named) if watch is not None else None
                # The span is current only while the inner generator runs, never across a
                # yield: the consumer runs between two items in its own context, and may
                # close this generator from another task (a context token attached in one
                # step and detached in another belongs to a different context).
                span_context = trace.set_span_in_context(span)
                try:
                    async with contextlib.aclosing(fn(*args, **kwargs)) as items:
                        while True:
                            token = otel_context.attach(span_context)
                            try:
                                item = await anext(items)
                            except StopAsyncIteration:
                                return
                            finally:
                                otel_context.detach(token)
                            if see is not None:
                                see(item)
                            yield item
                except BaseException as error:
                    _failed(span, error)
                    raise
                finally:
                    span.end()
            return generator

        @functools.wraps(fn)
        async def coroutine(*args, **kwargs):
            sink = current()
            if sink is None:
                return await fn(*args, **kwargs)
            named = attributes(**arguments(args, kwargs)) if attributes else None
            with current_span(sink.tracer, name, named) as span:
                value = await fn(*args, **kwargs)
                if result is not None:
                    span.set_attributes(result(value))
                return value
        return coroutine
    return decorate


def annotate(**attributes) -> None:
    """Set attributes on the current span (nothing happens outside a recorded span)."""
    trace.get_current_span().set_attributes({k: v for k, v in attributes.items() if v is not None})
