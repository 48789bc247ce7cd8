"""Pure rules every part shares, with no I/O: the job boards (`sites`) and the tiers and their
limits (`tiers`). Imports nothing from the rest of the app; the desktop client uses it too."""

__all__ = ["sites", "tiers"]
