"""The License Server: key format and checksum (`keys`, also used by the desktop client),
issuing, deciding and managing licenses (`licenses`), the decision's SQL (`store`), the
validate pipeline the route runs (`validate`), and signed answers (`signing`)."""

__all__ = ["keys", "licenses", "signing", "store", "validate"]
