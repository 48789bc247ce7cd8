"""One error family for every domain: a stable code, a sentence for people, an HTTP status.

Domains raise a `DomainError` (or a subclass naming the domain); `api/errors.py` maps it to
`{"error": {"code", "message", "fields"?}}` once, and the UI shows `message` as it is, so a
sentence is written in one place only.

A subclass may give each of its codes a default sentence (`messages`) and status
(`statuses`): a raise then names only the code, and a page that gets only the code back
(a form post's `?error=CODE`) shows the same sentence through `sentence_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar


class DomainError(ValueError):
    """`code` is stable (clients branch on it); `message` is shown to people as written."""

    status: int = 400
    messages: ClassVar[Mapping[Any, str]] = {}
    statuses: ClassVar[Mapping[Any, int]] = {}

    def __init__(
        self,
        code: str | Enum,
        message: str | None = None,
        *,
        status: int | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        message = message if message is not None else self.messages.get(code, "")
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        if status is not None:
            self.status = status
        elif code in self.statuses:
            self.status = self.statuses[code]

    @property
    def code_text(self) -> str:
        """The code as clients see it: an enum member's value, or the string itself."""
        return str(self.code.value if isinstance(self.code, Enum) else self.code)

    @classmethod
    def sentence_for(cls, code_text: str) -> str | None:
        """The default sentence of the code spelled `code_text`; None if it has none."""
        for code, sentence in cls.messages.items():
            if (code.value if isinstance(code, Enum) else code) == code_text:
                return sentence
        return None
