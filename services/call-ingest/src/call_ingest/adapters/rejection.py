"""The one failure every provider's signature check raises."""

from __future__ import annotations

__all__ = ["SignatureRejected"]


class SignatureRejected(Exception):
    """The request is not provably the provider's: `status` 401 (missing) or 403 (wrong/stale)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
