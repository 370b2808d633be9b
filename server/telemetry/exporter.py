"""The OpenTelemetry SpanExporter of the span store. It runs on the BatchSpanProcessor's
worker thread, so the request path only appends a span to the processor's queue; each
batch goes, as compact tuples, to the span writer (server/telemetry/writer.py), and
the export returns once the batch is stored."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from server.telemetry.writer import compact

log = logging.getLogger(__name__)


class StoreSpanExporter(SpanExporter):
    def __init__(self, write: Callable[[list[tuple]], None]):
        """write(items) stores a batch of compact spans (SpanWriter.write, or store_batch in one process)."""
        self._write = write

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            self._write([compact(span) for span in spans])
        except Exception:  # the processor only counts failures; the reason belongs in the log
            log.exception("could not store %d span(s)", len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is stored before it returns
