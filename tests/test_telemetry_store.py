"""The span store over time and the tracing settings: spans survive a restart, retention
removes the oldest traces first (by count and by age) with their index entries, spans
reach an OTLP collector when one is configured, and tracing can be sampled or off."""
from __future__ import annotations

import os
import time
from concurrent import futures

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from _wait import wait_until
from conftest import RunningServer, make_config
from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from llamastack.telemetry.v1alpha import telemetry_pb2_grpc
from server.storage import LmdbStore
from server.telemetry.exporter import StoreSpanExporter
from server.telemetry.runtime import TelemetrySettings
from server.telemetry.spans import Condition, SpanStore
from server.telemetry.writer import store_batch

DATASET = {"purpose": "eval/question-answer", "source": {"type": "rows", "rows": [{"q": "a"}]}}
DAY_NS = 86400 * 10**9


def traceparent(sampled: bool = True) -> tuple[str, str]:
    trace_id = os.urandom(16).hex()
    return trace_id, f"00-{trace_id}-{os.urandom(8).hex()}-{'01' if sampled else '00'}"


def telemetry(server) -> telemetry_pb2_grpc.TelemetryServiceStub:
    return telemetry_pb2_grpc.TelemetryServiceStub(server.channel)


def served(tmp_path, **settings) -> RunningServer:
    (tmp_path / "files").mkdir(exist_ok=True)
    return RunningServer(make_config(tmp_path, **settings))


def test_spans_and_metric_points_survive_a_restart(tmp_path):
    trace_id, header = traceparent()
    first = served(tmp_path)
    try:
        response = first.http.post("/v1beta/datasets", json={**DATASET, "dataset_id": "kept"},
                                   headers={"traceparent": header})
        assert response.status_code == 200
        wait_until(lambda: trace_id in {t.trace_id for t in telemetry(first).QueryTraces(pb.QueryTracesRequest()).data},
                   message="the request's span stored")
        before = telemetry(first).GetSpanTree(pb.GetSpanTreeRequest(
            span_id=telemetry(first).GetTrace(pb.GetTraceRequest(trace_id=trace_id)).root_span_id))
    finally:
        first.stop()
    second = served(tmp_path)
    try:
        trace = telemetry(second).GetTrace(pb.GetTraceRequest(trace_id=trace_id))
        assert telemetry(second).GetSpanTree(pb.GetSpanTreeRequest(span_id=trace.root_span_id)) == before
        counted = telemetry(second).QueryMetrics(pb.QueryMetricsRequest(
            metric_name="requests", start_time=int(time.time()) - 3600, query_type=pb.METRIC_QUERY_TYPE_INSTANT,
            label_matchers=[pb.QueryMetricsRequest.MetricLabelMatcher(
                name="method", value=".*/RegisterDataset", operator=pb.METRIC_LABEL_OPERATOR_REGEX_MATCH)]))
        assert sum(p.value for s in counted.data for p in s.values) == 1
    finally:
        second.stop()


# ---------------------------------------------------------------- retention


@pytest.fixture
def store(tmp_path):
    kv = LmdbStore(tmp_path / "store")
    yield kv
    kv.close()


def _record(spans: SpanStore):
    """A tracer whose spans are stored as they end."""
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(StoreSpanExporter(lambda items: store_batch(spans, items))))
    return provider.get_tracer("test")


def _trace(tracer, name: str, start_ns: int | None = None) -> str:
    """A root and one child, both carrying `name`; the trace id."""
    with tracer.start_as_current_span("root", start_time=start_ns, attributes={"name": name}) as root, \
            tracer.start_as_current_span("child", start_time=start_ns, attributes={"name": name, "n": 1}):
        pass
    return f"{root.get_span_context().trace_id:032x}"


def _stored(spans: SpanStore) -> list[str]:
    """Trace ids, oldest first."""
    return [t.trace_id for t in spans.traces_by_start(newest_first=False, offset=0, limit=100)]


def test_retention_by_count_removes_the_oldest_traces_first(store):
    spans = SpanStore(store, max_age_s=7 * 86400, max_spans=6)
    tracer = _record(spans)
    made = [_trace(tracer, f"t{i}") for i in range(5)]
    assert spans.count() == 6
    assert _stored(spans) == made[2:]
    # The removed traces left nothing behind: spans, span ids, attribute index.
    assert spans.trace(bytes.fromhex(made[0])) is None
    assert {ids[:16].hex() for ids in spans.matching([Condition("n", "eq", 1.0)])} == set(made[2:])
    assert spans.matching([Condition("name", "eq", "t1")]) == set()


def test_retention_by_age(store):
    now = time.time_ns()
    spans = SpanStore(store, max_age_s=7 * 86400, max_spans=1000)
    tracer = _record(spans)
    *_, recent = (_trace(tracer, name, now - days * DAY_NS) for name, days in
                  (("old", 8), ("older", 10), ("recent", 1)))
    assert _stored(spans) == [recent]  # each export applied retention
    assert spans.count() == 2 and spans.matching([Condition("name", "ne", "recent")]) == set()
    assert spans.prune(now=now / 1e9 + 6.5 * 86400) == 1  # later on, the recent one ages out too
    assert _stored(spans) == [] and spans.count() == 0


# ---------------------------------------------------------------- settings


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self):
        self.trace_ids: set[str] = set()

    def Export(self, request, context):
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.trace_ids.update(span.trace_id.hex() for span in scope.spans)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_reach_an_otlp_collector_too(tmp_path):
    collector = _Collector()
    receiver = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, receiver)
    port = receiver.add_insecure_port("127.0.0.1:0")
    receiver.start()
    server = served(tmp_path, otlp_endpoint=f"http://127.0.0.1:{port}")
    try:
        trace_id, header = traceparent()
        assert server.http.get("/v1beta/datasets", headers={"traceparent": header}).status_code == 200
        wait_until(lambda: trace_id in collector.trace_ids, timeout=30, message="the span at the collector")
        assert telemetry(server).GetTrace(pb.GetTraceRequest(trace_id=trace_id)).trace_id == trace_id
    finally:
        server.stop()
        receiver.stop(0)


def test_tracing_off_stores_no_spans_and_still_counts(tmp_path):
    server = served(tmp_path, tracing=False)
    try:
        _, header = traceparent()
        response = server.http.get("/v1beta/datasets", headers={"traceparent": header})
        assert response.status_code == 200 and "traceresponse" not in response.headers
        _, call = server.channel.unary_unary("/llamastack.datasets.v1beta.DatasetsService/ListDatasets").with_call(
            b"", metadata=(("traceparent", header),))
        assert "traceresponse" not in dict(call.initial_metadata()) | dict(call.trailing_metadata())
        assert telemetry(server).QueryTraces(pb.QueryTracesRequest()).data == []
        metrics = server.http.get("/metrics").text
        assert 'grpc_server_handled_total{grpc_code="OK",grpc_method="ListDatasets"' in metrics
    finally:
        server.stop()


def test_sampling_follows_the_ratio_and_a_sampled_caller(tmp_path):
    server = served(tmp_path, trace_sample_ratio=0.0)
    try:
        unsampled = server.http.get("/v1beta/datasets")
        assert int(unsampled.headers["traceresponse"].rsplit("-", 1)[1], 16) & 1 == 0  # the sampled flag is off
        trace_id, header = traceparent(sampled=True)
        sampled = server.http.get("/v1beta/datasets", headers={"traceparent": header})
        assert sampled.headers["traceresponse"].startswith(f"00-{trace_id}-")
        wait_until(lambda: len(telemetry(server).QueryTraces(pb.QueryTracesRequest()).data) == 1,
                   message="the caller's sampled trace")
        (stored,) = telemetry(server).QueryTraces(pb.QueryTracesRequest()).data
        assert stored.trace_id == trace_id
    finally:
        server.stop()


def test_settings_are_checked():
    with pytest.raises(ValueError, match="trace_sample_ratio"):
        TelemetrySettings(sample_ratio=1.5)
    with pytest.raises(ValueError, match="trace_retention_spans"):
        TelemetrySettings(retention_spans=0)
