"""Salary insights: our corpus and public wage benchmarks."""

__all__: list[str] = []
