"""Eval: benchmarks, built-in scoring functions, row evaluations and durable eval jobs."""
