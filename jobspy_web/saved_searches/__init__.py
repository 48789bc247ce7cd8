"""Saved searches: schedules, runs and which jobs are new for a person."""

__all__: list[str] = []
