"""Deadlines over HTTP: a `Grpc-Timeout` request header, in gRPC's own format (an
integer of at most 8 digits and a unit: H, M, S, m (ms), u (µs), n (ns); e.g. `30S`,
`500m`), becomes the deadline of the gRPC call the gateway makes. A call that runs past
it answers 504 with the spec's Error body."""
from __future__ import annotations

import re

HEADER = "grpc-timeout"
_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_FORMAT = re.compile(r"([0-9]{1,8})([HMSmun])")


class BadTimeout(ValueError):
    pass


def timeout_seconds(headers) -> float | None:
    """The deadline the caller asked for, in seconds from now, or None."""
    value = headers.get(HEADER)
    if value is None:
        return None
    match = _FORMAT.fullmatch(value.strip())
    if match is None:
        raise BadTimeout(f"Grpc-Timeout must be 1 to 8 digits and a unit (H, M, S, m, u, n), got {value!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]
