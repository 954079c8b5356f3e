"""Our Standard Webhooks signatures verify with the `standardwebhooks` package, the independent verifier."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from crm_sync.domain.signing import mask_secret, secret_key, signed_headers, webhook_id_for

SECRET = "whsec_" + base64.b64encode(bytes(range(24))).decode()
BODY = b'{"event_type":"CallAttributed","payload":{"call_id":"twilio:CA1","note":"caf\xc3\xa9"}}'


def test_a_signed_webhook_verifies_with_the_standard_webhooks_library() -> None:
    headers = signed_headers(SECRET, "msg_1", int(time.time()), BODY)
    assert Webhook(SECRET).verify(BODY, headers)["payload"]["call_id"] == "twilio:CA1"


@pytest.mark.parametrize(
    ("secret", "body"),
    [
        ("whsec_" + base64.b64encode(b"another key of 24 bytes!").decode(), BODY),
        (SECRET, BODY.replace(b"CA1", b"CA2")),
    ],
    ids=["other secret", "altered body"],
)
def test_a_webhook_with_another_secret_or_body_does_not_verify(secret: str, body: bytes) -> None:
    headers = signed_headers(SECRET, "msg_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_the_key_is_the_decoded_secret_not_its_text() -> None:
    assert secret_key(SECRET) == bytes(range(24))


def test_the_webhook_id_is_the_same_for_a_call_version_and_different_otherwise() -> None:
    assert webhook_id_for("ep_1", "twilio:CA1", 1) == webhook_id_for("ep_1", "twilio:CA1", 1)
    others = {webhook_id_for("ep_1", "twilio:CA1", 2), webhook_id_for("ep_2", "twilio:CA1", 1)}
    assert webhook_id_for("ep_1", "twilio:CA1", 1) not in others
    assert webhook_id_for("ep_1", "twilio:CA1", 1).startswith("msg_")


def test_a_masked_secret_shows_its_last_characters_only() -> None:
    assert mask_secret(SECRET) == f"whsec_...{SECRET[-4:]}"
