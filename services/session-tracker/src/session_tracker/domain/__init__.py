"""The tracker's pure core: session snapshots, bot screening and what a visitor's tabs show."""

from session_tracker.domain.agent import Agent, read_agent
from session_tracker.domain.display import Kind, Shown, Status, default_shown, shown_after
from session_tracker.domain.screening import Caps, admit, classify, network_of, origin_allowed
from session_tracker.domain.snapshot import (
    MAX_PAGES_SEEN,
    PageView,
    build_snapshot,
    ga_client_id,
    search_terms,
    session_id_for,
    ym_client_id,
)

__all__ = [
    "MAX_PAGES_SEEN",
    "Agent",
    "Caps",
    "Kind",
    "PageView",
    "Shown",
    "Status",
    "admit",
    "build_snapshot",
    "classify",
    "default_shown",
    "ga_client_id",
    "network_of",
    "origin_allowed",
    "read_agent",
    "search_terms",
    "session_id_for",
    "shown_after",
    "ym_client_id",
]
