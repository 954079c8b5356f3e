"""call-ingest settings (environment variables, the same names locally and in Kubernetes)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from ctrack_common.settings import ServiceSettings

__all__ = ["DEVELOPMENT_TWILIO_AUTH_TOKEN", "Settings"]

DEVELOPMENT_TWILIO_AUTH_TOKEN = "development-only-twilio-auth-token"


class Settings(ServiceSettings):
    """Settings of one call-ingest process."""

    SERVICE_NAME: str = "call-ingest"
    HTTP_PORT: int = Field(default=8103, ge=1, le=65535)
    TWILIO_AUTH_TOKEN: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_TWILIO_AUTH_TOKEN),
        description="Twilio account Auth Token: the key of X-Twilio-Signature. Never logged.",
    )
    PUBLIC_BASE_URL: str = Field(
        default="http://127.0.0.1:8103",
        description="Base URL Twilio calls us at. Signatures cover the URL Twilio requested, which a proxy"
        " in front of us rewrites, so it is configured rather than read from the request.",
    )
    PUBLISH_TIMEOUT_SECONDS: float = Field(
        default=5.0,
        gt=0,
        description="How long a webhook waits for the broker to acknowledge its event (Twilio gives up at 15 s).",
    )

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                "must be an absolute http(s) URL without query, such as https://calls.example.com"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _no_unsafe_defaults(self) -> Settings:
        if self.ENVIRONMENT != "development":
            if self.TWILIO_AUTH_TOKEN.get_secret_value() == DEVELOPMENT_TWILIO_AUTH_TOKEN:
                raise ValueError("TWILIO_AUTH_TOKEN must be set outside development")
            if not self.TWILIO_AUTH_TOKEN.get_secret_value():
                raise ValueError("TWILIO_AUTH_TOKEN must not be empty")
        if self.ENVIRONMENT == "production" and not self.PUBLIC_BASE_URL.startswith("https://"):
            raise ValueError("PUBLIC_BASE_URL must be https in production")
        return self
