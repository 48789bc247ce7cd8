"""One error family for every domain: a stable code, a sentence for people, an HTTP status.

Domains raise a `DomainError` (or a subclass naming the domain); `api/errors.py` maps it to
`{"error": {"code", "message", "fields"?}}` once, and the UI shows `message` as it is, so a
sentence is written in one place only.
"""

from __future__ import annotations

from enum import Enum


class DomainError(ValueError):
    """`code` is stable (clients branch on it); `message` is shown to people as written."""

    status: int = 400

    def __init__(self, code: str | Enum, message: str, *, status: int | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        if status is not None:
            self.status = status

    @property
    def code_text(self) -> str:
        """The code as clients see it: an enum member's value, or the string itself."""
        return str(self.code.value if isinstance(self.code, Enum) else self.code)
