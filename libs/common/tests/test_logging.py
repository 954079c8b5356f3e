"""Secrets never reach the logs."""

from ctrack_common.logging import redact_secrets


def test_fields_named_like_credentials_are_redacted() -> None:
    event = {
        "event": "x",
        "api_key": "ck_live_abc",
        "auth_token": "t",
        "webhook_secret": "s",
        "tenant_id": "a",
    }
    redacted = redact_secrets(None, "info", event)
    assert redacted == {
        "event": "x",
        "api_key": "[redacted]",
        "auth_token": "[redacted]",
        "webhook_secret": "[redacted]",
        "tenant_id": "a",
    }
