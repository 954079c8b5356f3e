"""crm-sync settings (environment variables, the same names locally and in Kubernetes)."""

from __future__ import annotations

from pydantic import Field, model_validator

from ctrack_common.settings import ServiceSettings

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """Settings of one crm-sync process. Production defaults; tests shorten every timer to seconds."""

    SERVICE_NAME: str = "crm-sync"
    HTTP_PORT: int = Field(default=8105, ge=1, le=65535)
    CONSUMER_GROUP: str = Field(
        default="crm-sync", description="Kafka consumer group reading attributed-calls."
    )
    WEBHOOK_TIMEOUT_SECONDS: float = Field(
        default=10.0, gt=0, description="Per attempt: connect, send, answer."
    )
    WEBHOOK_RETRY_INITIAL_SECONDS: float = Field(
        default=5.0, gt=0, description="First backoff (then doubles)."
    )
    WEBHOOK_RETRY_MAX_INTERVAL_SECONDS: float = Field(
        default=3600.0, gt=0, description="Longest wait between attempts, Retry-After included."
    )
    WEBHOOK_MAX_RETRY_SECONDS: float = Field(
        default=86400.0,
        gt=0,
        description="After this long without success a delivery is abandoned (dead-lettered).",
    )
    CONFIG_READ_BACK_SECONDS: float = Field(
        default=5.0, gt=0, description="How long a REST write waits to see its own event in the read model."
    )

    @model_validator(mode="after")
    def _backoff_fits(self) -> Settings:
        if self.WEBHOOK_RETRY_INITIAL_SECONDS > self.WEBHOOK_RETRY_MAX_INTERVAL_SECONDS:
            raise ValueError(
                "WEBHOOK_RETRY_INITIAL_SECONDS must not exceed WEBHOOK_RETRY_MAX_INTERVAL_SECONDS"
            )
        return self
