"""TwiML answers to Twilio's voice webhook, built with Twilio's own SDK so the markup is theirs."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

__all__ = [
    "DIAL_ACTION_PATH",
    "RECORDING_PATH",
    "STATUS_CALLBACK_EVENTS",
    "STATUS_PATH",
    "dial_action_url",
    "empty_response",
    "forward_call",
    "recording_callback_url",
    "reject_call",
    "status_callback_url",
]

STATUS_PATH = "/v1/telephony/twilio/status"
DIAL_ACTION_PATH = "/v1/telephony/twilio/dial"
RECORDING_PATH = "/v1/telephony/twilio/recording"
STATUS_CALLBACK_EVENTS = "initiated ringing answered completed"


def status_callback_url(public_base_url: str, tracking_number: str, started_at_ms: int) -> str:
    """Where Twilio reports the dialled leg's progress.

    The dialled leg's `To` is the business number, so the tracking number travels in the URL;
    so does the call's start, which later callbacks do not state. Twilio signs the whole URL,
    so neither can be forged.
    """
    query = urlencode({"tracking_number": tracking_number, "started_at": started_at_ms})
    return f"{public_base_url}{STATUS_PATH}?{query}"


def dial_action_url(public_base_url: str, tracking_number: str, started_at_ms: int) -> str:
    """Where Twilio posts the `<Dial>` outcome (DialCallStatus), with the same signed context."""
    query = urlencode({"tracking_number": tracking_number, "started_at": started_at_ms})
    return f"{public_base_url}{DIAL_ACTION_PATH}?{query}"


def recording_callback_url(
    public_base_url: str, tracking_number: str, started_at_ms: int, caller_number: str
) -> str:
    """Where Twilio posts the recording's status (RecordingStatusCallback), with the same signed context.

    That callback names no caller, so the caller travels in the (signed) URL too: every event of a
    call states who called (a blocked caller's recording stays flagged)."""
    query = urlencode(
        {"tracking_number": tracking_number, "started_at": started_at_ms, "caller_number": caller_number}
    )
    return f"{public_base_url}{RECORDING_PATH}?{query}"


def forward_call(
    *,
    caller_id: str,
    business_number: str,
    status_callback: str,
    action: str | None = None,
    record: bool = False,
    recording_callback: str | None = None,
) -> str:
    """Ring the business number; the caller hears ringing until it answers (answerOnBridge).

    With `action`, Twilio posts the dialled leg's outcome there when the dial ends. With `record`,
    the call is recorded from the answer, one channel per party, and Twilio posts the recording's
    status to `recording_callback` once the file is ready (event `completed`)."""
    response = VoiceResponse()
    recorded = record and recording_callback is not None
    dial = response.dial(
        caller_id=caller_id,
        answer_on_bridge=True,
        action=action,
        method="POST" if action else None,
        record="record-from-answer-dual" if record else None,
        recording_status_callback=recording_callback if recorded else None,
        recording_status_callback_method="POST" if recorded else None,
        recording_status_callback_event="completed" if recorded else None,
    )
    dial.number(
        business_number,
        status_callback=status_callback,
        status_callback_event=STATUS_CALLBACK_EVENTS,
        status_callback_method="POST",
    )
    return str(response)


def reject_call() -> str:
    response = VoiceResponse()
    response.reject()
    return str(response)


def empty_response() -> str:
    return str(VoiceResponse())
