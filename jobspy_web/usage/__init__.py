"""API usage: every premium and search API call, logged in batches."""

__all__: list[str] = []
