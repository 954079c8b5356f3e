"""Telnyx Call Control commands: the routing answer for Telnyx is a `transfer` command.

    POST {api}/calls/{call_control_id}/actions/transfer   Authorization: Bearer <API key>
    {"to": business, "client_state": base64(JSON {"tracking_number", "caller_number"}), "command_id": <event id>}

`command_id` makes Telnyx drop a repeat of the same command within 60 s (a redelivered
call.initiated); `client_state` comes back on the forwarded leg's webhooks, so they can be keyed by
the tracking number and name the original caller (the forwarded leg's own `from` may be a caller id
Telnyx or the account set).
"""

from __future__ import annotations

import base64
import json

import httpx

__all__ = ["TelnyxCommandFailed", "TelnyxCommands", "tracking_client_state"]


class TelnyxCommandFailed(Exception):
    """Telnyx did not accept the command (network error, timeout or non-2xx)."""


def tracking_client_state(tracking_number: str, caller_number: str = "") -> str:
    state = {"tracking_number": tracking_number, "caller_number": caller_number}
    return base64.b64encode(json.dumps(state).encode()).decode()


class TelnyxCommands:
    def __init__(
        self,
        *,
        api_base: str,
        api_key: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_base = api_base.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout_seconds
        self._transport = transport

    @property
    def configured(self) -> bool:
        return bool(self._api_key)

    async def transfer(
        self,
        *,
        call_control_id: str,
        to: str,
        tracking_number: str,
        command_id: str,
        caller_number: str = "",
        record: bool = False,
    ) -> None:
        body: dict[str, str] = {
            "to": to,
            "client_state": tracking_client_state(tracking_number, caller_number),
            "command_id": command_id,
        }
        if record:
            body["record"] = "record-from-answer"
        url = f"{self._api_base}/calls/{call_control_id}/actions/transfer"
        headers = {"Authorization": f"Bearer {self._api_key}"}
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout) as client:
                response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TelnyxCommandFailed(f"transfer: {type(exc).__name__}") from None
        if not response.is_success:
            raise TelnyxCommandFailed(f"transfer: HTTP {response.status_code}")
