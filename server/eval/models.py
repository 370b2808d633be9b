"""The models an eval names (a candidate's model, a judge) are request fields: one that
is not served, or is not an LLM, is a 400 naming the field (not the Models API's 404)."""
from __future__ import annotations

from server.errors import InvalidArgument, NotFound


def require_llm(registry, model_id: str, field: str) -> None:
    if not model_id:
        raise InvalidArgument(field, "is required")
    try:
        registry.get(model_id, ("llm",), field)
    except NotFound as exc:
        raise InvalidArgument(field, exc.message) from None


def max_batch(registry, model_id: str) -> int:
    """How many rows to keep in flight for a model: as many as its engine batches."""
    return max(1, registry.spec(model_id).max_batch)
