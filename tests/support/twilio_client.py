"""Calls our Twilio webhooks the way Twilio does, signed by Twilio's own SDK (the independent client)."""

from __future__ import annotations

import httpx
from twilio.request_validator import RequestValidator

__all__ = ["TwilioWebhookClient"]


class TwilioWebhookClient:
    def __init__(self, base_url: str, auth_token: str, account_sid: str = "AC" + "0" * 32) -> None:
        self._base_url = base_url
        self._validator = RequestValidator(auth_token)
        self.account_sid = account_sid

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None) -> httpx.Response:
        url = f"{self._base_url}{path}"
        form = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", **params}
        signed = self._validator.compute_signature(url, form) if signature is None else signature
        return httpx.post(url, data=form, headers={"X-Twilio-Signature": signed}, timeout=10)

    def incoming_call(self, call_sid: str, caller: str, called: str, **extra: str) -> httpx.Response:
        return self.post(
            "/v1/telephony/twilio/voice",
            {
                "CallSid": call_sid,
                "From": caller,
                "To": called,
                "CallStatus": "ringing",
                "Direction": "inbound",
                **extra,
            },
        )

    def status(self, path_and_query: str, params: dict[str, str]) -> httpx.Response:
        return self.post(path_and_query, params)
