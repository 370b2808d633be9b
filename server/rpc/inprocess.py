"""In-process dispatch for the gateway that runs inside the server: the part of
grpc.aio.Channel the gateway uses (unary_unary and unary_stream multicallables taking
metadata and a timeout; a stream that can be cancelled; grpc.aio.AioRpcError for a
status other than OK), served by calling the server's own method handlers, found the
way grpc.aio.server finds them (its interceptors in order, then its generic handlers).
Authentication, telemetry, validation, deadlines and cancellation are therefore the
server's own; what goes is the second hop: no serialization, no HTTP/2, the request and
response messages are handed over as objects.

As on the wire, each call runs in its own task, in a copy of the contextvars the
server's tasks start from (those current when the channel was made: the server's
telemetry sink, no caller's OpenTelemetry context; the trace continues from the
`traceparent` metadata only); its deadline cancels it, and so does cancelling the call
(a stream's cancel(), or the awaiting task being cancelled)."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

import grpc

log = logging.getLogger(__name__)

# Messages a streaming handler may write ahead of the reader (gRPC's flow control window
# plays this part on the wire): a handler whose reader stalls waits, it does not buffer.
STREAM_WINDOW = 16
_NO_METADATA = grpc.aio.Metadata()


class _CallDetails(grpc.HandlerCallDetails):
    def __init__(self, method: str, invocation_metadata: tuple):
        self.method = method
        self.invocation_metadata = invocation_metadata


class _Context:
    """The handler's grpc.aio.ServicerContext, as far as this server's handlers and
    interceptors use it."""

    def __init__(self, metadata: tuple, deadline: float | None, stream: _StreamCall | None = None):
        self._metadata = metadata
        self._deadline = deadline
        self._stream = stream
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self._trailing: tuple = ()
        self._aborted = False

    def invocation_metadata(self) -> tuple:
        return self._metadata

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - asyncio.get_running_loop().time())

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    def set_trailing_metadata(self, metadata) -> None:
        self._trailing = tuple(metadata)

    async def send_initial_metadata(self, metadata) -> None:
        pass  # the gateway reads no initial metadata

    async def write(self, message) -> None:
        await self._stream.put(message)

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata=()):
        # grpc.aio's rules: one abort per call, OK is no error, the trailers set before stay.
        if self._aborted:
            raise grpc.aio.UsageError("Abort already called!")
        self._aborted = True
        if code == grpc.StatusCode.OK:
            log.error("abort() called with StatusCode.OK; returning UNKNOWN")
            code = grpc.StatusCode.UNKNOWN
        self._code, self._details = code, details
        if trailing_metadata:
            self._trailing = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    async def abort_with_status(self, status) -> None:
        await self.abort(status.code, status.details, status.trailing_metadata)

    def error(self) -> grpc.aio.AioRpcError:
        return grpc.aio.AioRpcError(self._code, _NO_METADATA, grpc.aio.Metadata(*self._trailing), self._details)


def _error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, _NO_METADATA, _NO_METADATA, details)


def _checked(metadata) -> tuple:
    # The wire refuses a header value outside printable ASCII before the call starts.
    metadata = tuple(metadata or ())
    for key, value in metadata:
        if not (value.isascii() and value.isprintable()):
            raise ValueError(f"metadata value for key {key} is invalid: INTERNAL: Illegal header value")
    return metadata


class InProcessChannel:
    """handlers and interceptors: exactly those the grpc.aio server was given; made where
    the server is started."""

    def __init__(self, handlers: Sequence[grpc.GenericRpcHandler],
                 interceptors: Sequence[grpc.aio.ServerInterceptor] = ()):
        self._handlers = tuple(handlers)
        self._interceptors = tuple(interceptors)
        # method -> its handler (or None): the generic handlers answer by method name only,
        # and are fixed once the server is made, so each is looked up once.
        self._by_method: dict[str, grpc.RpcMethodHandler | None] = {}
        self.context = contextvars.copy_context()

    def unary_unary(self, method: str, request_serializer=None, response_deserializer=None, **_):
        """Serializers are accepted for the channel's signature and not used."""
        async def call(request, *, metadata=None, timeout: float | None = None, **_):
            metadata = _checked(metadata)
            task = asyncio.create_task(self._unary(method, request, metadata, _deadline(timeout)),
                                       context=self.context.copy())
            return await task  # a caller cancelled here cancels the task, as a cancelled call does
        return call

    def unary_stream(self, method: str, request_serializer=None, response_deserializer=None, **_):
        def call(request, *, metadata=None, timeout: float | None = None, **_):
            return _StreamCall(self, method, request, _checked(metadata), _deadline(timeout))
        return call

    async def close(self) -> None:
        pass  # nothing to release: the server owns the handlers

    async def handler(self, method: str, metadata: tuple) -> grpc.RpcMethodHandler | None:
        details = _CallDetails(method, metadata)
        return await self._intercepted(0, details)

    async def _intercepted(self, index: int, details: _CallDetails):
        if index == len(self._interceptors):
            try:
                return self._by_method[details.method]
            except KeyError:
                found = next((h for h in (g.service(details) for g in self._handlers) if h is not None), None)
                self._by_method[details.method] = found
                return found
        return await self._interceptors[index].intercept_service(
            lambda next_details: self._intercepted(index + 1, next_details), details)

    async def _unary(self, method: str, request, metadata: tuple, deadline: float | None):
        context = _Context(metadata, deadline)
        scope = asyncio.timeout_at(deadline)
        try:
            async with scope:
                return await (await self.found(method, metadata, deadline)).unary_unary(request, context)
        except Exception as exc:
            raise _failure(exc, context, scope, method) from None

    async def found(self, method: str, metadata: tuple, deadline: float | None) -> grpc.RpcMethodHandler:
        if deadline is not None and deadline <= asyncio.get_running_loop().time():
            raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")  # no handler runs, as on the wire
        handler = await self.handler(method, metadata)
        if handler is None:
            raise _error(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        return handler


def _failure(exc: Exception, context: _Context, scope: asyncio.Timeout, method: str) -> grpc.aio.AioRpcError:
    """The status of a call whose handler raised exc, as grpc.aio.server answers it."""
    if isinstance(exc, grpc.aio.AbortError):
        return context.error()
    if isinstance(exc, TimeoutError) and scope.expired():
        return _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc
    log.error("unexpected error in %s", method, exc_info=exc)
    return _error(grpc.StatusCode.UNKNOWN, f"Unexpected {type(exc)}: {exc}")


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else asyncio.get_running_loop().time() + timeout


_END = object()


class _StreamCall:
    """A server-streaming call: async-iterable, cancellable. The handler runs at once and
    writes up to STREAM_WINDOW messages ahead of the reader."""

    def __init__(self, channel: InProcessChannel, method: str, request, metadata: tuple, deadline: float | None):
        self._messages: deque = deque()
        self._ready = asyncio.Event()
        self._window = asyncio.Semaphore(STREAM_WINDOW)
        self._error: grpc.aio.AioRpcError | None = None
        self._task = asyncio.create_task(self._serve(channel, method, request, metadata, deadline),
                                         context=channel.context.copy())
        self._task.add_done_callback(self._ended)

    async def put(self, message) -> None:
        await self._window.acquire()
        self._messages.append(message)
        self._ready.set()

    async def _serve(self, channel: InProcessChannel, method: str, request, metadata: tuple, deadline):
        context = _Context(metadata, deadline, self)
        scope = asyncio.timeout_at(deadline)
        try:
            async with scope:
                behaviour = (await channel.found(method, metadata, deadline)).unary_stream(request, context)
                if hasattr(behaviour, "__aiter__"):  # a handler that yields its messages
                    async with contextlib.aclosing(behaviour) as messages:
                        async for message in messages:
                            await self.put(message)
                else:
                    await behaviour
        except Exception as exc:
            self._error = _failure(exc, context, scope, method)

    def _ended(self, task: asyncio.Task) -> None:
        if task.cancelled() and self._error is None:
            self._error = _error(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")
        self._messages.append(_END)
        self._ready.set()

    def __aiter__(self):
        return self

    async def __anext__(self) -> Any:
        while not self._messages:
            self._ready.clear()
            await self._ready.wait()
        message = self._messages[0]
        if message is _END:
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        self._messages.popleft()
        self._window.release()
        return message

    def cancel(self) -> bool:
        return self._task.cancel()
