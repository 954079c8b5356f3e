"""The tracker's pure core: how a page view becomes a session snapshot."""

from session_tracker.domain.snapshot import PageView, build_snapshot

__all__ = ["PageView", "build_snapshot"]
