"""Twilio's form-encoded webhooks validated into domain inputs; a bad field is a 422 naming it.

Field names are Twilio's own (`CallSid`, `To`...), so error bodies name what Twilio sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from call_ingest.domain.facts import CallProgress, IncomingCall
from call_ingest.domain.lifecycle import CallObservation, Stage, outcome_of_twilio_dial
from ctrack_common.events import E164, CallStatus

__all__ = [
    "DialActionForm",
    "RecordingStatusForm",
    "StatusCallbackForm",
    "VoiceWebhookForm",
    "parse_form",
    "started_at_param",
    "tracking_number_param",
]

PROVIDER = "twilio"

_E164 = TypeAdapter(E164)
_MILLIS = TypeAdapter(int)
_Form = TypeVar("_Form", bound=BaseModel)


class _TwilioForm(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        return None if value == "" else value


class VoiceWebhookForm(_TwilioForm):
    """Twilio's voice webhook: a call to one of our numbers is ringing."""

    CallSid: str = Field(min_length=1)
    From: str | None = None
    To: E164
    CallStatus: CallStatus

    def incoming_call(self) -> IncomingCall:
        return IncomingCall(PROVIDER, self.CallSid, self.From or "", self.To, self.CallStatus)


class StatusCallbackForm(_TwilioForm):
    """Twilio's status callback for the dialled leg (`ParentCallSid` is the caller's call)."""

    CallSid: str = Field(min_length=1)
    ParentCallSid: str | None = None
    CallStatus: CallStatus
    CallDuration: int | None = Field(default=None, ge=0)
    Timestamp: datetime | None = None
    SequenceNumber: int = Field(default=0, ge=0)
    From: str | None = None

    @field_validator("Timestamp", mode="before")
    @classmethod
    def _rfc2822(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parsedate_to_datetime(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{value!r} is not an RFC 2822 date such as 'Tue, 10 Jun 2025 12:00:00 +0000'"
                ) from exc
        return value

    def progress(
        self, tracking_number: str, received_at: datetime, started_at: datetime | None
    ) -> CallProgress:
        """Timestamp falls back to receipt, and the start to the event time, when not stated."""
        occurred_at = self.Timestamp or received_at
        return CallProgress(
            provider=PROVIDER,
            provider_call_id=self.ParentCallSid or self.CallSid,
            caller_number=self.From or "",
            tracking_number=tracking_number,
            status=self.CallStatus,
            sequence_number=self.SequenceNumber,
            duration_seconds=self.CallDuration,
            occurred_at=occurred_at,
            started_at=started_at or occurred_at,
        )


class DialActionForm(_TwilioForm):
    """Twilio's `<Dial action>` request: the dialled (forwarded) leg's outcome decides answered/missed."""

    CallSid: str = Field(min_length=1)
    From: str | None = None
    DialCallStatus: str = Field(pattern=r"^(completed|answered|busy|no-answer|failed|canceled)$")
    DialCallDuration: int | None = Field(default=None, ge=0)
    RecordingUrl: str | None = None
    RecordingSid: str | None = None

    def observations(self, tracking_number: str, started_at: datetime | None) -> list[CallObservation]:
        """The call ended (talk time = DialCallDuration); a recording when `<Dial record>` made one."""
        outcome = outcome_of_twilio_dial(self.DialCallStatus)
        common = (PROVIDER, self.CallSid)
        ended = CallObservation(
            *common,
            Stage.ENDED,
            self.From or "",
            tracking_number,
            started_at,
            outcome=outcome,
            talk_seconds=self.DialCallDuration,
        )
        if not self.RecordingUrl:
            return [ended]
        recording = CallObservation(
            *common,
            Stage.RECORDING,
            self.From or "",
            tracking_number,
            started_at,
            recording_id=self.RecordingSid or self.RecordingUrl,
            recording_url=self.RecordingUrl,
        )
        return [ended, recording]


class RecordingStatusForm(_TwilioForm):
    """Twilio's RecordingStatusCallback for a `<Dial record>`: `CallSid` is the caller's (parent) call."""

    CallSid: str = Field(min_length=1)
    RecordingSid: str = Field(min_length=1)
    RecordingUrl: str | None = None
    RecordingStatus: str = Field(pattern=r"^(in-progress|completed|absent|failed)$")
    RecordingDuration: int | None = Field(default=None, ge=0)
    ErrorCode: str | None = None

    def observation(
        self, tracking_number: str, started_at: datetime | None, caller_number: str
    ) -> CallObservation | None:
        """The recording is available once `completed` (with its URL); other statuses announce nothing."""
        if self.RecordingStatus != "completed" or not self.RecordingUrl:
            return None
        return CallObservation(
            PROVIDER,
            self.CallSid,
            Stage.RECORDING,
            caller_number,
            tracking_number,
            started_at,
            recording_id=self.RecordingSid,
            recording_url=self.RecordingUrl,
        )


def _invalid(exc: ValidationError, *loc: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (*loc, *err["loc"]), "msg": err["msg"], "type": err["type"]} for err in exc.errors()]
    )


def parse_form(model: type[_Form], params: Sequence[tuple[str, str]]) -> _Form:
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise _invalid(exc, "form") from None


def tracking_number_param(query: Mapping[str, str], params: Sequence[tuple[str, str]]) -> str:
    """The `tracking_number` we put in the callback URL, else the callback's `To`."""
    if "tracking_number" in query:
        value, loc = query["tracking_number"], ("query", "tracking_number")
    else:
        value, loc = dict(params).get("To", ""), ("form", "To")
    try:
        return _E164.validate_python(value)
    except ValidationError as exc:
        raise _invalid(exc, *loc) from None


def started_at_param(query: Mapping[str, str]) -> datetime | None:
    """The call's start (unix ms) we put in the callback URL, if there."""
    if "started_at" not in query:
        return None
    try:
        return datetime.fromtimestamp(_MILLIS.validate_python(query["started_at"]) / 1000, tz=UTC)
    except (ValidationError, ValueError, OverflowError, OSError):
        raise RequestValidationError(
            [{"loc": ("query", "started_at"), "msg": "must be unix milliseconds", "type": "value_error"}]
        ) from None
