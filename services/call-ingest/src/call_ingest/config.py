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
    TELNYX_PUBLIC_KEY: SecretStr = Field(
        default=SecretStr(""),
        description="Telnyx account public key (base64 Ed25519) checking telnyx-signature-ed25519; empty:"
        " Telnyx webhooks are refused (403).",
    )
    TELNYX_API_KEY: SecretStr = Field(
        default=SecretStr(""),
        description="Telnyx API key for the transfer command (the routing answer). Never logged; empty:"
        " Telnyx calls are recorded but not forwarded by us (configure the number's own forwarding).",
    )
    TELNYX_API_BASE: str = Field(default="https://api.telnyx.com/v2", description="Telnyx API base URL.")
    TELNYX_COMMAND_TIMEOUT_SECONDS: float = Field(
        default=3.0, gt=0, description="How long the transfer command may take before the webhook gets 503."
    )
    TELNYX_TIMESTAMP_TOLERANCE_SECONDS: float = Field(
        default=300, gt=0, description="Replay window: how far telnyx-timestamp may be from our clock."
    )
    ZADARMA_SECRET: SecretStr = Field(
        default=SecretStr(""),
        description="Zadarma API secret (the key of the Signature header). Never logged; empty: refused.",
    )
    ZADARMA_TIMEZONE: str = Field(
        default="UTC", description="Time zone of Zadarma's call_start (the account's, set in its cabinet)."
    )
    ZADARMA_FORWARD_EXTENSION: str = Field(
        default="100",
        description="PBX extension (or scenario) NOTIFY_START redirects to; its forwarding rings the"
        " business number we send as rewrite_forward_number.",
    )
    GENERIC_WEBHOOK_SECRET: SecretStr = Field(
        default=SecretStr(""),
        description="Standard Webhooks secret (whsec_...) of the generic PBX webhook. Never logged; empty: refused.",
    )
    GENERIC_WEBHOOK_TOLERANCE_SECONDS: float = Field(
        default=300, gt=0, description="Replay window: how far webhook-timestamp may be from our clock."
    )
    CLOCK_SKEW_SECONDS: float = Field(
        default=120,
        ge=0,
        description="A provider time more than this ahead of our receipt is not trusted (receipt is used).",
    )
    RECENT_EVENT_IDS: int = Field(
        default=100_000,
        ge=0,
        description="How many published event ids a process remembers to drop a provider's redelivery.",
    )
    NUMBER_LOOKUP_GRACE_SECONDS: float = Field(
        default=1.0,
        ge=0,
        description="How long a ringing call to a number not in the read model yet waits for it to arrive"
        " (a number added a moment ago); Twilio gives up at 15 s.",
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
