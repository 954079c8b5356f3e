"""The admin API's errors: each names what was wrong and the field or path parameter it concerns.

`bootstrap` turns them into JSON bodies `{"error": ..., "field": ...}` with their HTTP status.
"""

from __future__ import annotations

__all__ = ["AllocatorError", "Conflict", "InvalidInput", "NotFound"]


class AllocatorError(Exception):
    """Base of the errors a caller can fix; `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(AllocatorError):
    """No such resource for this tenant (other tenants' resources are reported the same way)."""

    status = 404


class Conflict(AllocatorError):
    """The change clashes with existing state, e.g. a number another tenant owns."""

    status = 409


class InvalidInput(AllocatorError):
    """A value the request schema cannot check on its own, such as a cursor this API never issued."""

    status = 422
