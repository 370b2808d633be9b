"""The span writer: a child process that owns the writing side of the span store (its
own LMDB environment, `<data_dir>/telemetry`) and stores the batches the exporter sends
it, then applies retention. Turning spans into records and index entries and committing
them is most of what tracing costs; in the child it costs the server's interpreter (its
GIL, which the event loop needs) only a pickle per batch. The server reads the same
environment for the queries: LMDB readers see each batch once it is committed, and the
exporter returns only then, so a flush is followed by reads that see it.

Batches are lists of `compact(span)` tuples, pickled over a pipe; the child answers each
one once it is stored. It ignores SIGINT and ends when the pipe closes (the server
stopped, or died), so it never outlives the server."""
from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import threading
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from server.storage import LmdbStore
from server.telemetry.spans import SpanRecord, SpanStore, index_keys

log = logging.getLogger(__name__)
_BYTES_PER_SPAN = 4096  # the environment's map: about 4x what a span takes, so it never has to grow


def map_size(max_spans: int) -> int:
    """One map size for both processes, so neither ever resizes it under the other."""
    return max(1 << 30, max_spans * _BYTES_PER_SPAN)


def compact(span: ReadableSpan) -> tuple:
    """What the child needs of a finished span, in plain picklable values."""
    error = span.status.status_code == StatusCode.ERROR
    return (span.context.trace_id, span.context.span_id, span.parent.span_id if span.parent is not None else None,
            span.name, span.start_time, span.end_time, dict(span.attributes or {}), error,
            span.status.description if error else None)


def record(item: tuple) -> SpanRecord:
    trace, span, parent, name, start, end, attributes, error, description = item
    trace_id, span_id = trace.to_bytes(16, "big"), span.to_bytes(8, "big")
    attributes = {key: list(value) if isinstance(value, tuple) else value for key, value in attributes.items()}
    if description:
        attributes["error.message"] = description
    message = pb.SpanWithStatus(span_id=span_id.hex(), trace_id=trace_id.hex(), name=name,
                                status=pb.SPAN_STATUS_ERROR if error else pb.SPAN_STATUS_OK)
    parent_id = parent.to_bytes(8, "big") if parent is not None else None
    if parent_id is not None:
        message.parent_span_id = parent_id.hex()
    message.start_time.FromNanoseconds(start)
    message.end_time.FromNanoseconds(end)
    message.attributes.update(attributes)
    return SpanRecord(trace_id=trace_id, span_id=span_id, parent_id=parent_id, start_ns=start, end_ns=end,
                      value=message.SerializeToString(), index_keys=index_keys(trace_id + span_id, attributes))


def store_batch(spans: SpanStore, items: list[tuple]) -> None:
    spans.add([record(item) for item in items])


def _serve(connection, path: str, max_age_s: float, max_spans: int) -> None:
    """The child's loop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is the server's to handle
    store = LmdbStore(path, map_size=map_size(max_spans))
    spans = SpanStore(store, max_age_s, max_spans)
    try:
        spans.prune()  # what an earlier process left beyond the limits
        while True:
            try:
                frame = connection.recv_bytes()
            except EOFError:
                return
            store_batch(spans, pickle.loads(frame))
            connection.send_bytes(b"")
    finally:
        store.close()


class SpanWriter:
    """The server's handle on the child: `write` blocks until the batch is stored, and
    starts the child again if it has gone (one retry, then the batch fails)."""

    def __init__(self, path: Path, max_age_s: float, max_spans: int):
        self._args = (str(path), max_age_s, max_spans)
        self._context = multiprocessing.get_context("spawn")  # a fork would copy the whole server
        self._lock = threading.Lock()
        self._process = None
        self._connection = None

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(target=_serve, args=(child, *self._args),
                                              name="telemetry-span-writer", daemon=True)
        self._process.start()
        child.close()
        self._connection = parent

    def write(self, items: list[tuple]) -> None:
        frame = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            for attempt in (1, 2):
                if self._process is None or not self._process.is_alive():
                    if self._process is not None:
                        log.warning("the span writer process ended (exit code %s); starting it again",
                                    self._process.exitcode)
                    self._start()
                try:
                    self._connection.send_bytes(frame)
                    self._connection.recv_bytes()
                    return
                except (EOFError, OSError):
                    self._stop(wait=False)
                    if attempt == 2:
                        raise RuntimeError("the span writer process failed twice on this batch") from None

    def close(self) -> None:
        with self._lock:
            self._stop(wait=True)

    def _stop(self, wait: bool) -> None:
        if self._connection is not None:
            self._connection.close()  # the child's end of file: it finishes and exits
            self._connection = None
        if self._process is not None:
            self._process.join(30 if wait else 0)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)
            self._process = None
