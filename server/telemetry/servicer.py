"""Thin servicer for the telemetry API over TelemetryService."""
from __future__ import annotations

from google.protobuf import empty_pb2

from llamastack.telemetry.v1alpha import telemetry_pb2 as pb
from llamastack.telemetry.v1alpha import telemetry_pb2_grpc
from server.telemetry.queries import TelemetryService


class TelemetryServicer(telemetry_pb2_grpc.TelemetryServiceServicer):
    def __init__(self, service: TelemetryService):
        self._service = service

    async def QueryTraces(self, request, context):
        return pb.QueryTracesResponse(data=await self._service.query_traces(request))

    async def GetTrace(self, request, context):
        return await self._service.get_trace(request.trace_id)

    async def GetSpan(self, request, context):
        return await self._service.get_span(request.trace_id, request.span_id)

    async def GetSpanTree(self, request, context):
        return pb.QuerySpanTreeResponse(data=await self._service.get_span_tree(request))

    async def QuerySpans(self, request, context):
        return pb.QuerySpansResponse(data=await self._service.query_spans(request))

    async def SaveSpansToDataset(self, request, context):
        await self._service.save_spans_to_dataset(request)
        return empty_pb2.Empty()

    async def QueryMetrics(self, request, context):
        return pb.QueryMetricsResponse(data=await self._service.query_metrics(request))
