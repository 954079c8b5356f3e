"""Settings of the attribution service (environment variables, the same names everywhere)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from ctrack_common.settings import ServiceSettings

__all__ = ["Settings"]


class Settings(ServiceSettings):
    """Join, ClickHouse and reports settings; every timer is configurable down to seconds."""

    SERVICE_NAME: str = "attribution"
    HTTP_PORT: int = Field(default=8104, ge=1, le=65535)

    CONSUMER_GROUP_PREFIX: str = Field(
        default="attribution",
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Consumer groups <prefix>-rekey and <prefix>-clickhouse; the faust app id <prefix>-join.",
    )
    JOIN_GRACE_SECONDS: float = Field(
        default=120.0,
        ge=0,
        description=(
            "How long (stream time) a call that matched no lease waits for late lease events before its"
            " first answer; later facts still correct it with a new version."
        ),
    )
    LEASE_RETENTION_SECONDS: float = Field(
        default=30 * 24 * 3600.0,
        gt=0,
        description="How long (stream time) each number keeps its leases and calls in the join's state.",
    )
    JOIN_IDLE_SECONDS: float = Field(
        default=5.0,
        gt=0,
        description=(
            "A join partition that receives nothing for this long (wall clock) has its stream time moved"
            " on by the idle time, so calls waiting for grace on a quiet partition are still answered."
        ),
    )
    JOIN_REPLICATION_FACTOR: int = Field(
        default=1, ge=1, description="Replication of the join's table changelog topics (faust creates them)."
    )

    CLICKHOUSE_HOST: str = "127.0.0.1"
    CLICKHOUSE_PORT: int = Field(default=9000, ge=1, le=65535)
    CLICKHOUSE_DATABASE: str = Field(default="ctrack", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    CLICKHOUSE_USER: str = "default"
    CLICKHOUSE_PASSWORD: str = ""
    CLICKHOUSE_RETRY_SECONDS: float = Field(
        default=30.0, ge=0, description="How long a write keeps retrying a lost connection before failing."
    )
    CLICKHOUSE_STARTUP_SECONDS: float = Field(
        default=60.0, gt=0, description="How long start-up waits for ClickHouse to apply the migrations."
    )

    REPORT_MAX_DAYS: int = Field(default=366, ge=1)

    @property
    def join_grace(self) -> timedelta:
        return timedelta(seconds=self.JOIN_GRACE_SECONDS)

    @property
    def lease_retention(self) -> timedelta:
        return timedelta(seconds=self.LEASE_RETENTION_SECONDS)

    def group(self, role: str) -> str:
        return f"{self.CONSUMER_GROUP_PREFIX}-{role}"
