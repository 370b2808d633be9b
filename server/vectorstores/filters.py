"""Metadata filters of a search: key -> value (equal) or key -> list of values (one of),
all of which a document's metadata must pass."""
from __future__ import annotations

from typing import Any

from server.errors import InvalidArgument


def check_filters(filters: dict[str, Any], field_prefix: str = "") -> None:
    for key, wanted in filters.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if any(isinstance(v, (dict, list)) for v in values):
            raise InvalidArgument(f"{field_prefix}filters.{key}",
                                  "must be a value (string, number, boolean, null) or a list of values")


def matches(metadata: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Every filter holds."""
    for key, wanted in filters.items():
        if key not in metadata:
            return False
        value = metadata[key]
        if isinstance(wanted, list):
            if not any(_equal(value, w) for w in wanted):
                return False
        elif not _equal(value, wanted):
            return False
    return True


def _equal(a: Any, b: Any) -> bool:
    """Equal, except that a boolean equals only a boolean (True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b
