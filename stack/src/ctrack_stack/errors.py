"""The few ways the local stack fails, each with a message a developer can act on."""

from __future__ import annotations

__all__ = ["MissingToolError", "NotReadyError", "ProcessExitedError", "StackError"]


class StackError(RuntimeError):
    """Base of every local-stack failure; the CLI prints its message and exits non-zero."""


class MissingToolError(StackError):
    """A program the stack needs (java, mvn) is not installed."""


class NotReadyError(StackError):
    """A component did not become ready before its deadline."""


class ProcessExitedError(StackError):
    """A launched process exited while we waited for it to become ready."""
