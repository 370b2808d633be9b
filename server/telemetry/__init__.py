"""Telemetry: the service traces itself with the OpenTelemetry SDK (instrument.py for
domain code, interceptor.py for every RPC), stores its spans (exporter.py, spans.py) and
metric points (points.py), answers the telemetry API (queries.py, servicer.py) and
exposes Prometheus metrics (prometheus.py). runtime.py assembles one server's share."""
