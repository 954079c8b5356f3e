"""Settings every service shares, read from environment variables (12-factor).

Each service subclasses `ServiceSettings` in its own `config.py`. The same
variable names are used locally and in Kubernetes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings"]


class ServiceSettings(BaseSettings):
    """Connection and runtime settings of one service process."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    SERVICE_NAME: str = "ctrack"
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    HTTP_HOST: str = "127.0.0.1"
    HTTP_PORT: int = Field(default=8100, ge=1, le=65535)
    KAFKA_BOOTSTRAP_SERVERS: str = "127.0.0.1:9092"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    READ_MODEL_CATCH_UP_SECONDS: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _production_needs_explicit_kafka(self) -> ServiceSettings:
        if self.ENVIRONMENT == "production" and self.KAFKA_BOOTSTRAP_SERVERS.startswith("127.0.0.1"):
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS must point at the cluster in production")
        return self
