"""@traced on async generators: the span is the parent of the work inside, never the
consumer's current span between items, and closing the generator from another task
ends it cleanly (no context token detached in a foreign context)."""
from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from server.telemetry import instrument


@instrument.traced("inner.work")
async def _inner():
    return trace.get_current_span()


@instrument.traced("outer.stream")
async def _items(count: int):
    for i in range(count):
        yield i, await _inner()
        await asyncio.sleep(0)  # a real stream awaits its source between items


def _run(body):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def main():
        instrument.activate(SimpleNamespace(tracer=provider.get_tracer("test")))
        return await body()
    result = asyncio.run(main())
    return result, {span.name: span for span in exporter.get_finished_spans()}


def test_the_span_parents_the_work_inside_but_is_not_current_between_items():
    async def consume():
        seen_between = []
        async for _, _inner_span in _items(3):
            seen_between.append(trace.get_current_span())
        return seen_between

    seen_between, spans = _run(consume)
    outer = spans["outer.stream"]
    assert spans["inner.work"].parent.span_id == outer.context.span_id
    assert all(span.get_span_context().span_id != outer.context.span_id for span in seen_between)
    assert outer.status.status_code == StatusCode.UNSET


def test_a_stream_closed_from_another_task_ends_as_cancelled_without_context_errors(caplog):
    async def consume_then_close_elsewhere():
        stream = _items(10)
        await anext(stream)
        await asyncio.create_task(stream.aclose())  # the consumer's task is not the closer

    with caplog.at_level(logging.ERROR, logger="opentelemetry.context"):
        _, spans = _run(consume_then_close_elsewhere)
    assert not [r for r in caplog.records if r.name == "opentelemetry.context"]  # "Failed to detach context"
    assert spans["outer.stream"].status.status_code == StatusCode.ERROR
    assert spans["outer.stream"].status.description == "cancelled"
