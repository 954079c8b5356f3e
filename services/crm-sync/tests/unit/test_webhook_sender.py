"""The sender against a local receiver that verifies Standard Webhooks signatures."""

from __future__ import annotations

import base64
import secrets
import socket
import threading
from typing import Any

import pytest

from crm_sync.adapters.webhook_sender import Abandoned, Delivered, DeliveryInterrupted, WebhookSender
from crm_sync.domain.signing import webhook_id_for

BODY = b'{"event_type":"CallAttributed"}'
WEBHOOK_ID = webhook_id_for("ep_1", "twilio:CA1", 1)


def sender(stopping: threading.Event | None = None, *, max_retry: float = 5.0) -> WebhookSender:
    return WebhookSender(
        timeout_seconds=2.0,
        retry_initial_seconds=0.01,
        retry_max_interval_seconds=2.0,
        max_retry_seconds=max_retry,
        stopping=stopping or threading.Event(),
    )


@pytest.fixture
def secret(receiver: Any) -> str:
    receiver.secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return str(receiver.secret)


def test_a_webhook_accepted_at_once_is_delivered_in_one_attempt(receiver: Any, secret: str) -> None:
    assert sender().deliver(receiver.url, secret, WEBHOOK_ID, BODY) == Delivered(1, 204)
    assert receiver.accepted == {WEBHOOK_ID: 1}
    assert receiver.unverified == 0


def test_failed_attempts_are_retried_with_the_same_webhook_id_and_fresh_signatures(
    receiver: Any, secret: str
) -> None:
    receiver.fail_first = 2
    assert sender().deliver(receiver.url, secret, WEBHOOK_ID, BODY) == Delivered(3, 204)
    assert [h["webhook-id"] for h in receiver.attempts] == [WEBHOOK_ID] * 3
    assert receiver.accepted == {WEBHOOK_ID: 1}


@pytest.mark.parametrize("status", [400, 404, 410])
def test_a_client_error_is_not_retried(receiver: Any, secret: str, status: int) -> None:
    receiver.always_fail, receiver.fail_status = True, status
    result = sender().deliver(receiver.url, secret, WEBHOOK_ID, BODY)
    assert isinstance(result, Abandoned)
    assert (result.attempts, result.status_code) == (1, status)


def test_a_webhook_is_abandoned_when_retry_time_runs_out(receiver: Any, secret: str) -> None:
    receiver.always_fail = True
    result = sender(max_retry=1.0).deliver(receiver.url, secret, WEBHOOK_ID, BODY)
    assert isinstance(result, Abandoned)
    assert result.attempts > 1 and result.status_code == 503
    assert "gave up" in result.reason and "503" in result.reason


def test_an_unreachable_endpoint_is_retried_then_abandoned(receiver: Any, secret: str) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    result = sender(max_retry=0.5).deliver(closed, secret, WEBHOOK_ID, BODY)
    assert isinstance(result, Abandoned)
    assert result.status_code is None and "ConnectError" in result.reason


def test_retry_after_is_honoured(receiver: Any, secret: str) -> None:
    receiver.fail_first, receiver.fail_status, receiver.retry_after = 1, 429, "1"
    assert sender().deliver(receiver.url, secret, WEBHOOK_ID, BODY) == Delivered(2, 204)
    assert receiver.arrived[1] - receiver.arrived[0] >= 0.95


def test_stopping_the_service_interrupts_a_delivery_waiting_to_retry(receiver: Any, secret: str) -> None:
    receiver.always_fail = True
    stopping = threading.Event()
    stopping.set()
    with pytest.raises(DeliveryInterrupted):
        sender(stopping).deliver(receiver.url, secret, WEBHOOK_ID, BODY)
    assert len(receiver.attempts) == 1
