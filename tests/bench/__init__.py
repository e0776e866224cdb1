"""Benchmarks against the real local stack; run as modules (python -m tests.bench.run), not by pytest."""
