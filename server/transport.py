"""The `transport:` section of the configuration: gRPC message-size limits, keepalive,
connection age and stream limits, as options for the server and for the gateway's
channel to it (see docs/configuration.md)."""
from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
# Request metadata the server takes, and answer metadata (error trailers) the gateway's
# channel takes: room for everything the gateway forwards (gateway/app.py, 16 KiB).
MAX_METADATA_BYTES = 64 * 1024
_METADATA_OPTIONS = [("grpc.max_metadata_size", MAX_METADATA_BYTES),
                     ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES)]


@dataclass
class TransportSettings:
    # Largest request accepted (over REST: the body, and its protobuf form; past it 413).
    max_receive_message_bytes: int = 32 * MIB
    # Largest answer sent (a page of rows is one message); 0: no limit, so that any page
    # the API answers (`limit=-1` of any dataset) comes back whole.
    max_send_message_bytes: int = 0
    # Server pings an idle connection this often, and drops it if no answer comes in time;
    # load balancers that cut idle connections keep them open this way.
    keepalive_time_s: float = 60.0
    keepalive_timeout_s: float = 20.0
    # Shortest interval between client pings the server tolerates.
    keepalive_min_client_ping_interval_s: float = 10.0
    # A connection older than this is sent GOAWAY (clients reconnect, spreading load over
    # replicas); in-flight calls get the grace to finish. 0: no limit.
    max_connection_age_s: float = 0.0
    max_connection_age_grace_s: float = 30.0
    max_connection_idle_s: float = 0.0  # 0: idle connections stay
    max_concurrent_streams: int = 0  # per connection; 0: gRPC's default (no limit)

    def __post_init__(self):
        for name, value in vars(self).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"transport.{name} must be a number >= 0, got {value!r}")
        if self.max_receive_message_bytes < 1024 or 0 < self.max_send_message_bytes < 1024:
            raise ValueError("transport: message size limits must be at least 1024 bytes (send: or 0, no limit)")


    @property
    def _answer_limit(self) -> int:
        return int(self.max_send_message_bytes) or -1  # gRPC's -1: no limit

    def _sizes(self) -> list[tuple[str, int]]:
        return [("grpc.max_receive_message_length", int(self.max_receive_message_bytes)),
                ("grpc.max_send_message_length", self._answer_limit), *_METADATA_OPTIONS]

    def server_options(self) -> list[tuple[str, int]]:
        options = self._sizes() + [
            ("grpc.keepalive_time_ms", int(self.keepalive_time_s * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.keepalive_timeout_s * 1000)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", int(self.keepalive_min_client_ping_interval_s * 1000)),
            ("grpc.http2.max_pings_without_data", 0),
        ]
        if self.max_connection_age_s:
            options += [("grpc.max_connection_age_ms", int(self.max_connection_age_s * 1000)),
                        ("grpc.max_connection_age_grace_ms", int(self.max_connection_age_grace_s * 1000))]
        if self.max_connection_idle_s:
            options.append(("grpc.max_connection_idle_ms", int(self.max_connection_idle_s * 1000)))
        if self.max_concurrent_streams:
            options.append(("grpc.max_concurrent_streams", int(self.max_concurrent_streams)))
        return options

    def channel_options(self) -> list[tuple[str, int]]:
        """The gateway's channel: the same sizes (the server's send is its receive)."""
        return [("grpc.max_receive_message_length", self._answer_limit),
                ("grpc.max_send_message_length", int(self.max_receive_message_bytes)), *_METADATA_OPTIONS]
