"""The License Server: key format and checksum (`keys`, also used by the desktop client),
issuing, validating and managing licenses (`licenses`), signed answers (`signing`), and the
validate fast path on PostgreSQL (`hot_path`)."""

__all__ = ["hot_path", "keys", "licenses", "signing"]
