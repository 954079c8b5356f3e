"""Settings of the session-tracker (environment variables, the same names locally and in Kubernetes)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ctrack_common.settings import ServiceSettings

__all__ = ["Settings"]

# services/session-tracker/src/session_tracker/config.py -> the repository root
REPO_BUNDLE = Path(__file__).resolve().parents[4] / "tracker-script" / "dist" / "ctrack.min.js"


class Settings(ServiceSettings):
    """How long a visit waits for its number, and the per-client rate limit of the public endpoints."""

    SERVICE_NAME: str = "session-tracker"
    HTTP_PORT: int = Field(default=8101, ge=1, le=65535)

    NUMBER_WAIT_SECONDS: float = Field(
        default=2.0,
        gt=0,
        description="How long POST /v1/visits waits for the allocator before answering 202.",
    )
    SITE_LOOKUP_GRACE_SECONDS: float = Field(
        default=1.0,
        ge=0,
        description="How long an unknown site_key is looked up again (a site created a moment ago) before 404.",
    )
    RATE_LIMIT_PER_SECOND: float = Field(
        default=5.0, gt=0, description="Sustained requests/s per client address."
    )
    RATE_LIMIT_BURST: int = Field(default=30, ge=1, description="Burst of requests per client address.")
    VISITOR_RATE_LIMIT_PER_SECOND: float = Field(
        default=2.0, gt=0, description="Sustained requests and WebSocket messages/s per visitor of a site."
    )
    VISITOR_RATE_LIMIT_BURST: int = Field(default=20, ge=1, description="Burst per visitor of a site.")
    MAX_NUMBERED_VISITORS_PER_ADDRESS: int = Field(
        default=5,
        ge=1,
        description="Visitors of one client address that may hold a pool number of one pool at once.",
    )
    MAX_NUMBERED_VISITORS_PER_NETWORK: int = Field(
        default=20,
        ge=1,
        description="Visitors of one /24 (IPv4) or /64 (IPv6) that may hold a pool number of one pool at once.",
    )
    HEARTBEAT_SECONDS: int = Field(
        default=15,
        ge=1,
        description="How often the script beats (answers say at most a third of the pool's lease).",
    )
    TRACKER_SCRIPT_PATH: Path = Field(
        default=REPO_BUNDLE,
        description="The built tracker script served at GET /v1/tracker.js (tracker-script/dist in the repo).",
    )
    TRACKER_SCRIPT_MAX_AGE_SECONDS: int = Field(
        default=3600, ge=0, description="How long browsers and CDNs may cache the tracker script."
    )
