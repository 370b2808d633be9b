"""Measuring on a shared machine: the arms of a comparison run interleaved for several
rounds, in an order reversed every other round (A, B, B, A, A, B...), so that a slow
spell of the machine falls on every arm alike. Each figure is the median of its rounds,
with the spread (lowest to highest); each ratio is the median of the ratios taken within
a round."""
from __future__ import annotations

import statistics
from collections.abc import Callable

Arm = Callable[[], dict[str, float]]  # one measurement: metric name -> value


def interleaved(arms: dict[str, Arm], rounds: int) -> dict[str, dict[str, list[float]]]:
    """arm -> metric -> one value per round."""
    results: dict[str, dict[str, list[float]]] = {name: {} for name in arms}
    order = list(arms.items())
    for round_ in range(rounds):
        for name, arm in order if round_ % 2 == 0 else order[::-1]:  # no arm always first or last
            for metric, value in arm().items():
                results[name].setdefault(metric, []).append(value)
    return results


def figure(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    """The median and the spread of the rounds: '123.4 [118.0-130.2]'."""
    scaled = [v * scale for v in values]
    return f"{statistics.median(scaled):.{digits}f} [{min(scaled):.{digits}f}-{max(scaled):.{digits}f}]"


def ratio(numerator: list[float], denominator: list[float]) -> str:
    """The median of the per-round ratios, with their spread: '0.93 [0.90-0.97]'."""
    return figure([a / b for a, b in zip(numerator, denominator, strict=True)], digits=2)
