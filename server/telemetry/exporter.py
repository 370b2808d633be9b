"""The OpenTelemetry SpanExporter that writes finished spans into the span store. It runs
on the BatchSpanProcessor's worker thread, a batch per write transaction, so the
request path only appends a span to the processor's queue."""
from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from server.telemetry.spans import SpanRecord, SpanStore, index_keys

log = logging.getLogger(__name__)


def span_record(span: ReadableSpan) -> SpanRecord:
    context = span.context
    trace_id, span_id = context.trace_id.to_bytes(16, "big"), context.span_id.to_bytes(8, "big")
    attributes = {name: list(value) if isinstance(value, tuple) else value
                  for name, value in (span.attributes or {}).items()}
    error = span.status.status_code == StatusCode.ERROR
    if error and span.status.description:
        attributes["error.message"] = span.status.description
    message = pb.SpanWithStatus(span_id=span_id.hex(), trace_id=trace_id.hex(), name=span.name,
                                status=pb.SPAN_STATUS_ERROR if error else pb.SPAN_STATUS_OK)
    parent_id = span.parent.span_id.to_bytes(8, "big") if span.parent is not None else None
    if parent_id is not None:
        message.parent_span_id = parent_id.hex()
    message.start_time.FromNanoseconds(span.start_time)
    message.end_time.FromNanoseconds(span.end_time)
    message.attributes.update(attributes)
    return SpanRecord(trace_id=trace_id, span_id=span_id, parent_id=parent_id, start_ns=span.start_time,
                      end_ns=span.end_time, value=message.SerializeToString(),
                      index_keys=index_keys(trace_id + span_id, attributes))


class StoreSpanExporter(SpanExporter):
    def __init__(self, spans: SpanStore):
        self._spans = spans

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self._spans.add([span_record(span) for span in spans])
        except Exception:  # the processor only counts failures; the reason belongs in the log
            log.exception("could not store %d span(s)", len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written before it returns
