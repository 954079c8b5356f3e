"""Settings of the number-allocator (environment variables, the same names locally and in Kubernetes)."""

from __future__ import annotations

from pydantic import Field, model_validator

from ctrack_common.settings import ServiceSettings

__all__ = ["DEV_ADMIN_API_KEY", "Settings"]

DEV_ADMIN_API_KEY = "dev-admin-key"


class Settings(ServiceSettings):
    """Admin credentials, lease timers and the consumer group; every timer is configurable down to seconds."""

    SERVICE_NAME: str = "number-allocator"
    HTTP_PORT: int = Field(default=8102, ge=1, le=65535)

    ADMIN_API_KEY: str = Field(
        default=DEV_ADMIN_API_KEY, min_length=8, description="Platform admin bearer key for /v1/tenants."
    )
    # The tracker beats every 15 s (session-tracker HEARTBEAT_SECONDS); a browser throttles a hidden tab's
    # timers to about one a minute. 120 s lets a lease outlive one throttled beat (or seven missed ones)
    # and frees the number of a visitor whose leave beacon was lost two minutes after their last beat.
    DEFAULT_LEASE_SECONDS: int = Field(
        default=120,
        gt=0,
        description="Lease length of a pool created without an explicit lease_seconds: a few missed heartbeats.",
    )
    EXPIRY_SWEEP_SECONDS: float = Field(
        default=1.0,
        gt=0,
        description="How often due timers (expiry, reclaim, hold end, deferred grant) fire.",
    )
    DEFAULT_HOLD_SECONDS: int = Field(
        default=420, ge=0, description="Hold after a lease ends, for pools that do not set their own."
    )
    DEFAULT_QUARANTINE_SECONDS: int = Field(
        default=7 * 24 * 3600, ge=0, description="Quarantine of a number moved between sites or pools."
    )
    DEFAULT_DISPLAY_DELAY_SECONDS: int = Field(
        default=0, ge=0, description="Time on site before a pool number is granted (delayed display)."
    )
    DEFAULT_IDLE_RECLAIM_SECONDS: int = Field(
        default=3600, gt=0, description="Inactivity after which a lease is revoked (idle reclaim)."
    )
    ALLOCATOR_GROUP_ID: str = Field(
        default="number-allocator",
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Consumer group of the visits consumer; replicas share it and split the pools.",
    )

    @model_validator(mode="after")
    def _production_needs_a_real_admin_key(self) -> Settings:
        if self.ENVIRONMENT == "production" and self.ADMIN_API_KEY == DEV_ADMIN_API_KEY:
            raise ValueError("ADMIN_API_KEY must be set to a secret value in production")
        return self
