"""The job tracker: saved jobs moving through application stages."""

__all__: list[str] = []
