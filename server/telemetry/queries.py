"""The telemetry API's domain service: traces, spans and span trees from the span store,
spans saved into a dataset, and metric series from the metric points. Plain Python:
protos in and out, server.errors for bad input. Every query first stores the spans
and points already finished, so a caller sees its own earlier requests."""
from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Iterable, Sequence

from google.protobuf import struct_pb2

from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from server.datasets import DatasetService
from server.errors import InvalidArgument, NotFound
from server.telemetry.points import METRICS, Bucket
from server.telemetry.runtime import Telemetry
from server.telemetry.spans import Condition, encode_value

DEFAULT_TRACE_LIMIT = 100
MAX_TRACE_LIMIT = 10000
MAX_POINTS_PER_SERIES = 11000
TRACE_ORDER_FIELDS = ("start_time", "end_time", "trace_id", "root_span_id")
_OPS = {pb.QUERY_CONDITION_OP_EQ: "eq", pb.QUERY_CONDITION_OP_NE: "ne", pb.QUERY_CONDITION_OP_GT: "gt",
        pb.QUERY_CONDITION_OP_LT: "lt"}
_GRANULARITY = re.compile(r"(\d+)(s|m|h|d|w)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LABEL_OPERATORS = {
    pb.METRIC_LABEL_OPERATOR_EQUALS: lambda value, wanted: value == wanted,
    pb.METRIC_LABEL_OPERATOR_NOT_EQUALS: lambda value, wanted: value != wanted,
    pb.METRIC_LABEL_OPERATOR_REGEX_MATCH: lambda value, pattern: pattern.fullmatch(value) is not None,
    pb.METRIC_LABEL_OPERATOR_REGEX_NOT_MATCH: lambda value, pattern: pattern.fullmatch(value) is None,
}
_REGEX_OPERATORS = (pb.METRIC_LABEL_OPERATOR_REGEX_MATCH, pb.METRIC_LABEL_OPERATOR_REGEX_NOT_MATCH)


# ---------------------------------------------------------------- request checks


def conditions(filters: Sequence[pb.QueryCondition], field: str = "attribute_filters") -> list[Condition]:
    out = []
    for i, condition in enumerate(filters):
        where = f"{field}[{i}]"
        op = _OPS.get(condition.op)
        if op is None:
            raise InvalidArgument(f"{where}.op", "must be one of eq, ne, gt, lt")
        kind = condition.value.WhichOneof("kind")
        if kind == "number_value":
            value = condition.value.number_value
            if not math.isfinite(value):
                raise InvalidArgument(f"{where}.value", "must be a finite number")
        elif kind in ("string_value", "bool_value"):
            value = getattr(condition.value, kind)
        else:
            raise InvalidArgument(f"{where}.value", "must be a string, a number or a boolean")
        if op in ("gt", "lt") and encode_value(value)[:1] not in (b"n", b"s"):
            raise InvalidArgument(f"{where}.value", f"{op} compares numbers, or strings of at most 200 bytes")
        out.append(Condition(condition.key, op, value))
    return out


def _max_depth(request) -> int | None:
    if not request.HasField("max_depth"):
        return None
    if request.max_depth < 1:
        raise InvalidArgument("max_depth", "must be at least 1 (1: the span alone)")
    return request.max_depth


def _hex_id(value: str, length: int, field: str) -> bytes:
    if len(value) != length or not re.fullmatch(r"[0-9a-f]+", value):
        raise InvalidArgument(field, f"must be {length} lower-case hex digits, got {value!r}")
    return bytes.fromhex(value)


def _order(order_by: Sequence[str]) -> list[tuple[str, bool]]:
    """(field, descending) pairs; the default is newest first."""
    out = []
    for i, item in enumerate(order_by):
        descending = item.startswith("-")
        name = item[1:] if descending else item
        if name not in TRACE_ORDER_FIELDS:
            raise InvalidArgument(f"order_by[{i}]", f"unknown field {name!r}; known: {', '.join(TRACE_ORDER_FIELDS)} "
                                  "(a leading - sorts descending)")
        out.append((name, descending))
    return out or [("start_time", True)]


def granularity_seconds(text: str) -> int:
    match = _GRANULARITY.fullmatch(text)
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0
    if seconds <= 0 or seconds % 60:
        raise InvalidArgument("granularity", f"must be a whole number of minutes such as 1m, 5m, 1h, 1d or 1w, "
                              f"got {text!r}")
    return seconds


# ---------------------------------------------------------------- span shapes


def _attributes(source: struct_pb2.Struct, names: Sequence[str]) -> struct_pb2.Struct:
    if not names:
        return source
    kept = struct_pb2.Struct()
    for name in names:
        if name in source.fields:
            kept.fields[name].CopyFrom(source.fields[name])
    return kept


def _plain_span(span: pb.SpanWithStatus, names: Sequence[str] = ()) -> pb.Span:
    out = pb.Span(span_id=span.span_id, trace_id=span.trace_id, name=span.name, start_time=span.start_time,
                  end_time=span.end_time, attributes=_attributes(span.attributes, names))
    if span.HasField("parent_span_id"):
        out.parent_span_id = span.parent_span_id
    return out


def _depths(spans: Iterable[pb.SpanWithStatus]) -> dict[str, int]:
    """Depth of every span of a trace: 1 for a root (a span whose parent is not stored)."""
    parents = {span.span_id: span.parent_span_id if span.HasField("parent_span_id") else None for span in spans}
    depths: dict[str, int] = {}
    for span_id in parents:
        chain, node = [], span_id
        while node in parents and node not in depths and node not in chain:  # up to a known span or a root
            chain.append(node)
            node = parents[node]
        depth = depths.get(node, 0)
        for member in reversed(chain):
            depth += 1
            depths[member] = depth
    return depths


class TelemetryService:
    def __init__(self, telemetry: Telemetry, datasets: DatasetService):
        self._telemetry = telemetry
        self._spans = telemetry.spans
        self._datasets = datasets

    async def _run(self, work, *args):
        """Store what has finished, then read: both off the event loop."""
        def run():
            self._telemetry.flush()
            return work(*args)
        return await asyncio.to_thread(run)

    # ---------------------------------------------------------------- traces

    async def query_traces(self, request: pb.QueryTracesRequest) -> list[pb.Trace]:
        found = conditions(request.attribute_filters)
        limit = request.limit if request.HasField("limit") else DEFAULT_TRACE_LIMIT
        if not 1 <= limit <= MAX_TRACE_LIMIT:
            raise InvalidArgument("limit", f"must be between 1 and {MAX_TRACE_LIMIT}")
        offset = request.offset if request.HasField("offset") else 0
        if offset < 0:
            raise InvalidArgument("offset", "must not be negative")
        order = _order(request.order_by)
        return await self._run(self._query_traces, found, order, offset, limit)

    def _query_traces(self, found: list[Condition], order, offset: int, limit: int) -> list[pb.Trace]:
        if not found and len(order) == 1 and order[0][0] == "start_time":
            return self._spans.traces_by_start(order[0][1], offset, limit)
        traces = self._matching_traces(found)
        for name, descending in reversed(order):  # stable sorts, last key first
            traces.sort(key=lambda t, name=name: _sort_key(t, name), reverse=descending)
        return traces[offset:offset + limit]

    def _matching_traces(self, found: list[Condition]) -> list[pb.Trace]:
        trace_ids = {ids[:16] for ids in self._spans.matching(found)} if found else self._spans.all_trace_ids()
        return self._spans.traces(trace_ids)

    async def get_trace(self, trace_id: str) -> pb.Trace:
        key = _hex_id(trace_id, 32, "trace_id")
        trace = await self._run(self._spans.trace, key)
        if trace is None:
            raise NotFound(f"Trace '{trace_id}' not found")
        return trace

    # ---------------------------------------------------------------- spans

    async def get_span(self, trace_id: str, span_id: str) -> pb.Span:
        key = _hex_id(trace_id, 32, "trace_id"), _hex_id(span_id, 16, "span_id")
        span = await self._run(self._spans.span, *key)
        if span is None:
            raise NotFound(f"Span '{span_id}' not found in trace '{trace_id}'")
        return _plain_span(span)

    async def get_span_tree(self, request: pb.GetSpanTreeRequest) -> dict[str, pb.SpanWithStatus]:
        span_id = _hex_id(request.span_id, 16, "span_id")
        max_depth = _max_depth(request)
        tree = await self._run(self._span_tree, span_id, max_depth)
        if tree is None:
            raise NotFound(f"Span '{request.span_id}' not found")
        names = list(request.attributes_to_return)
        for span in tree.values():
            if names:
                span.attributes.CopyFrom(_attributes(span.attributes, names))
        return tree

    def _span_tree(self, span_id: bytes, max_depth: int | None) -> dict[str, pb.SpanWithStatus] | None:
        trace_id = self._spans.trace_of_span(span_id)
        if trace_id is None:
            return None
        spans = self._spans.trace_spans(trace_id)
        children: dict[str, list[pb.SpanWithStatus]] = {}
        for span in spans:
            if span.HasField("parent_span_id"):
                children.setdefault(span.parent_span_id, []).append(span)
        root = next((span for span in spans if span.span_id == span_id.hex()), None)
        if root is None:
            return None
        tree, level, depth = {}, [root], 1
        while level and (max_depth is None or depth <= max_depth):
            for span in level:
                tree[span.span_id] = span
            level = [child for span in level for child in children.get(span.span_id, ()) if child.span_id not in tree]
            depth += 1
        return tree

    async def query_spans(self, request: pb.QuerySpansRequest) -> list[pb.Span]:
        """The spans of the newest DEFAULT_TRACE_LIMIT traces that the filters match."""
        found = conditions(request.attribute_filters)
        max_depth = _max_depth(request)
        names = list(request.attributes_to_return)

        def read():
            traces = self._query_traces(found, [("start_time", True)], 0, DEFAULT_TRACE_LIMIT)
            return self._spans_of(traces, names, max_depth)
        return await self._run(read)

    async def save_spans_to_dataset(self, request: pb.SaveSpansToDatasetRequest) -> None:
        """Rows (the span's ids, name and times, then the chosen attributes) appended to the
        dataset, which must exist, from every trace that the filters match, oldest first."""
        found = conditions(request.attribute_filters)
        max_depth = _max_depth(request)
        names = list(request.attributes_to_save)
        await self._datasets.get(request.dataset_id)  # NotFound before any work

        def read():
            traces = sorted(self._matching_traces(found), key=lambda t: _sort_key(t, "start_time"))
            return self._spans_of(traces, names, max_depth)
        rows = []
        for span in await self._run(read):
            row = struct_pb2.Struct()
            row.update({"trace_id": span.trace_id, "span_id": span.span_id,
                        "parent_span_id": span.parent_span_id if span.HasField("parent_span_id") else None,
                        "name": span.name, "start_time": span.start_time.ToJsonString(),
                        "end_time": span.end_time.ToJsonString()})
            for name in names:
                row.fields[name].CopyFrom(span.attributes.fields[name])
            rows.append(row)
        if rows:
            await self._datasets.append_rows(request.dataset_id, rows)

    def _spans_of(self, traces: list[pb.Trace], names: list[str], max_depth: int | None) -> list[pb.Span]:
        """The spans of these traces down to max_depth from their roots that carry every
        attribute in names (with those attributes only; all of them when names is empty)."""
        out = []
        for trace in traces:
            spans = self._spans.trace_spans(bytes.fromhex(trace.trace_id))
            depths = _depths(spans)
            for span in sorted(spans, key=lambda s: (s.start_time.seconds, s.start_time.nanos)):
                if max_depth is not None and depths[span.span_id] > max_depth:
                    continue
                if all(name in span.attributes.fields for name in names):
                    out.append(_plain_span(span, names))
        return out

    # ---------------------------------------------------------------- metrics

    async def query_metrics(self, request: pb.QueryMetricsRequest) -> list[pb.MetricSeries]:
        kind = METRICS.get(request.metric_name)
        if kind is None:
            raise InvalidArgument("metric_name", f"unknown metric {request.metric_name!r}; known: "
                                  f"{', '.join(METRICS)}")
        start = request.start_time
        end = request.end_time if request.HasField("end_time") else int(time.time())
        if end < start:
            raise InvalidArgument("end_time", "must not be before start_time")
        instant = request.query_type == pb.METRIC_QUERY_TYPE_INSTANT
        step = granularity_seconds(request.granularity if request.HasField("granularity") else "1m")
        if not instant and (end - start) // step + 1 > MAX_POINTS_PER_SERIES:
            raise InvalidArgument("granularity", f"too fine for this time range: at most {MAX_POINTS_PER_SERIES} "
                                  "points per series")
        matchers = _label_matchers(request.label_matchers)
        found = await self._run(self._telemetry.points.read, request.metric_name, start // 60, end // 60)
        out = []
        for series, buckets in sorted(found.items()):
            values = dict(series)
            if not all(test(values.get(name, ""), wanted) for name, test, wanted in matchers):
                continue
            points = [(end, buckets)] if instant else _downsample(buckets, step)
            result = pb.MetricSeries(metric=request.metric_name,
                                     labels=[pb.MetricLabel(name=n, value=v) for n, v in series])
            for timestamp, group in points:
                total, count = sum(b.total for b in group), sum(b.count for b in group)
                result.values.add(timestamp=timestamp, value=total / count if kind.mean else total, unit=kind.unit)
            out.append(result)
        return out


def _label_matchers(matchers) -> list[tuple]:
    out = []
    for i, matcher in enumerate(matchers):
        test = _LABEL_OPERATORS.get(matcher.operator)
        if test is None:
            raise InvalidArgument(f"label_matchers[{i}].operator", "must be one of =, !=, =~, !~")
        wanted = matcher.value
        if matcher.operator in _REGEX_OPERATORS:
            try:
                wanted = re.compile(matcher.value)
            except re.error as exc:
                raise InvalidArgument(f"label_matchers[{i}].value", f"is not a regular expression: {exc}") from None
        out.append((matcher.name, test, wanted))
    return out


def _downsample(buckets: list[Bucket], step: int) -> list[tuple[int, list[Bucket]]]:
    """Minute buckets grouped into steps aligned to the epoch: (step start, its buckets)."""
    groups: dict[int, list[Bucket]] = {}
    for bucket in buckets:
        groups.setdefault(bucket.minute * 60 // step * step, []).append(bucket)
    return sorted(groups.items())


def _sort_key(trace: pb.Trace, name: str):
    if name in ("start_time", "end_time"):
        stamp = getattr(trace, name)
        return stamp.seconds, stamp.nanos
    return getattr(trace, name)
