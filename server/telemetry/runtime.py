"""One server's telemetry: its OpenTelemetry TracerProvider (sampling, a batch span
processor into the span store, optionally another to an OTLP collector), its metric
points, its Prometheus registry, and the gRPC interceptor that traces and counts calls."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased
from prometheus_client import CollectorRegistry

from server.inference.models import ModelRegistry
from server.jobs import JobRunner
from server.storage import KeyValueStore, LmdbStore
from server.telemetry import instrument
from server.telemetry.exporter import StoreSpanExporter
from server.telemetry.interceptor import TelemetryInterceptor
from server.telemetry.points import MetricPoints, labels
from server.telemetry.prometheus import PrometheusMetrics, RuntimeCollector
from server.telemetry.spans import SpanStore
from server.telemetry.writer import SpanWriter, map_size

log = logging.getLogger(__name__)
SERVICE_NAME = "llama-stack-grpc"
_DAY = 86400.0


@dataclass
class TelemetrySettings:
    tracing: bool = True
    sample_ratio: float = 1.0  # of the traces this server starts; a caller's sampled flag is followed
    retention_days: float = 7.0
    retention_spans: int = 1_000_000
    otlp_endpoint: str = ""  # e.g. http://collector:4317 (OTLP over gRPC; https:// for TLS)
    # The batch span processor's queue: spans beyond it are dropped (and counted in the log).
    queue_size: int = 16384
    export_delay_ms: int = 1000

    def __post_init__(self):
        if not 0.0 <= self.sample_ratio <= 1.0:
            raise ValueError(f"trace_sample_ratio: must be between 0 and 1, got {self.sample_ratio}")
        if self.retention_days <= 0:
            raise ValueError(f"trace_retention_days: must be positive, got {self.retention_days}")
        if self.retention_spans < 1:
            raise ValueError(f"trace_retention_spans: must be at least 1, got {self.retention_spans}")

    @classmethod
    def from_config(cls, config) -> TelemetrySettings:
        return cls(tracing=config.tracing, sample_ratio=config.trace_sample_ratio,
                   retention_days=config.trace_retention_days, retention_spans=config.trace_retention_spans,
                   otlp_endpoint=config.otlp_endpoint)


class Telemetry(instrument.Sink):
    def __init__(self, settings: TelemetrySettings, store: KeyValueStore, span_dir: Path, models: ModelRegistry,
                 jobs: JobRunner):
        """store: the server's store (metric points); span_dir: the span store's own
        environment, which the span writer process writes and the queries read."""
        self.settings = settings
        max_age_s = settings.retention_days * _DAY
        self._span_env = LmdbStore(span_dir, map_size=map_size(settings.retention_spans))
        self.spans = SpanStore(self._span_env, max_age_s, settings.retention_spans)
        self.points = MetricPoints(store, max_age_s)
        self.registry = CollectorRegistry()
        self.prometheus = PrometheusMetrics(self.registry)
        self.registry.register(RuntimeCollector(models, jobs))
        self.provider: TracerProvider | None = None
        self.tracer: trace.Tracer = trace.NoOpTracer()
        # The in-process gateway's open request spans by the traceparent they hand on
        # (gateway/telemetry.py): the RPC each relays is traced in it.
        self.relayed: dict[str, trace.Span] = {}
        self._store_processor: BatchSpanProcessor | None = None
        self._writer: SpanWriter | None = None
        if settings.tracing:
            self._writer = SpanWriter(span_dir, max_age_s, settings.retention_spans)
            # At ratio 1 every trace is sampled: ALWAYS_ON decides so without the ratio's arithmetic.
            root = ALWAYS_ON if settings.sample_ratio >= 1.0 else TraceIdRatioBased(settings.sample_ratio)
            self.provider = TracerProvider(sampler=ParentBased(root),
                                           resource=Resource.create({"service.name": SERVICE_NAME}),
                                           shutdown_on_exit=False)
            self._store_processor = BatchSpanProcessor(StoreSpanExporter(self._writer.write),
                                                       max_queue_size=settings.queue_size,
                                                       schedule_delay_millis=settings.export_delay_ms)
            self.provider.add_span_processor(self._store_processor)
            if settings.otlp_endpoint:
                self.provider.add_span_processor(BatchSpanProcessor(
                    OTLPSpanExporter(endpoint=settings.otlp_endpoint), max_queue_size=settings.queue_size,
                    schedule_delay_millis=settings.export_delay_ms))
                log.info("exporting spans to the OTLP collector at %s", settings.otlp_endpoint)
            self.tracer = self.provider.get_tracer("llama_stack_grpc")

    def start(self) -> None:
        """Become the telemetry of the calling context (and of all it starts), start the
        span writer (which applies retention to what an earlier process left) and the
        merging of metric points."""
        instrument.activate(self)
        if self._writer is not None:
            self._writer.start()
        self.points.start()

    def interceptor(self) -> TelemetryInterceptor:
        return TelemetryInterceptor(self)

    def record_chat(self, model_id: str, prompt_tokens: int, completion_tokens: int,
                    time_to_first_token: float | None) -> None:
        self.prometheus.prompt_tokens.labels(model_id).inc(prompt_tokens)
        self.prometheus.generated_tokens.labels(model_id).inc(completion_tokens)
        series = labels(model_id=model_id)
        self.points.add("prompt_tokens", series, prompt_tokens)
        self.points.add("completion_tokens", series, completion_tokens)
        self.points.add("total_tokens", series, prompt_tokens + completion_tokens)
        if time_to_first_token is not None:
            self.prometheus.time_to_first_token.labels(model_id).observe(time_to_first_token)
            self.points.add("time_to_first_token_seconds", series, time_to_first_token)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Store the spans that have ended and the metric points recorded so far."""
        if self._store_processor is not None:
            self._store_processor.force_flush(int(timeout_s * 1000))
        self.points.flush()

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()  # exports what is queued
            self._writer.close()
        self._span_env.close()
        self.points.close()
