"""Filtering functions of synthetic data generation: which of a prompt's scored
generations to keep. Checked at submission; unknown names and bad params are a 400."""
from __future__ import annotations

import math
from typing import Any

from server.errors import InvalidArgument

FIELD = "filtering_function"
# name -> {param: (type check, what it must be)}
_PARAMS = {
    "none": {},
    "top_k": {"k": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an integer >= 1")},
    "top_p": {"p": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1,
                    "a number in (0, 1]")},
    "threshold": {"threshold": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
                                "a number")},
}
NAMES = tuple(_PARAMS)


def check(name: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """The filter as stored with the job: {"name", "params"}; absent: keep everything."""
    name = name or "none"
    if name not in _PARAMS:
        raise InvalidArgument(f"{FIELD}.name", f"unknown filtering function {name!r}; known: {', '.join(NAMES)}")
    expected = _PARAMS[name]
    for key in params:
        if key not in expected:
            raise InvalidArgument(f"{FIELD}.params.{key}", f"is not a parameter of {name!r} "
                                                           f"(its parameters: {', '.join(expected) or 'none'})")
    for key, (valid, what) in expected.items():
        if key not in params:
            raise InvalidArgument(f"{FIELD}.params.{key}", f"is required by {name!r}: {what}")
        if not valid(params[key]):
            raise InvalidArgument(f"{FIELD}.params.{key}", f"must be {what}, got {params[key]!r}")
    return {"name": name, "params": dict(params)}


def kept(spec: dict[str, Any], scores: list[float]) -> list[int]:
    """Indices of the generations kept, in generation order. top_k keeps the k best
    scores, top_p the best ceil(p x n), threshold those scoring at least the threshold;
    ties go to the earlier generation."""
    name, params = spec["name"], spec["params"]
    if name == "none":
        return list(range(len(scores)))
    if name == "threshold":
        return [i for i, score in enumerate(scores) if score >= params["threshold"]]
    count = params["k"] if name == "top_k" else math.ceil(params["p"] * len(scores))
    best = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:count]
    return sorted(best)
