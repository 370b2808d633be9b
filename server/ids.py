"""Client-chosen resource ids (datasets, benchmarks, vector stores, documents): the one
check they all share."""
from __future__ import annotations

import unicodedata

from server.errors import InvalidArgument

MAX_ID_LENGTH = 256


def check_id(value: str, field: str, limit: int = MAX_ID_LENGTH, path_segment: bool = False) -> None:
    """Non-empty, at most `limit` characters, no control characters; no '/' if the id is
    a path segment of its routes."""
    if not value:
        raise InvalidArgument(field, "must not be empty")
    if len(value) > limit:
        raise InvalidArgument(field, f"must be at most {limit} characters, got {len(value)}")
    if path_segment and "/" in value:
        raise InvalidArgument(field, "must not contain '/'")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidArgument(field, f"must not contain control characters (found U+{ord(ch):04X})")
