"""Twilio's voice webhook and status callbacks: verify, route from config, record, answer TwiML.

Both verify `X-Twilio-Signature` before reading any field (missing: 401, wrong: 403) and
produce nothing otherwise. Events are acknowledged by the broker before Twilio gets its answer,
except that a ringing call is still forwarded when the broker cannot confirm in time: the caller
must reach the business even if the record is late or lost (the failure is logged and counted).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response

from call_ingest.adapters.calls_publisher import CallEventSink
from call_ingest.adapters.twilio_signature import SIGNATURE_HEADER, signature_matches
from call_ingest.adapters.twiml import (
    DIAL_ACTION_PATH,
    RECORDING_PATH,
    STATUS_PATH,
    dial_action_url,
    empty_response,
    forward_call,
    recording_callback_url,
    reject_call,
    status_callback_url,
)
from call_ingest.domain.facts import call_started, call_status_changed
from call_ingest.domain.routing import NotOurs, RecordAndReject, owner_of
from call_ingest.entrypoints.recorder import CallRecorder
from call_ingest.entrypoints.twilio_forms import (
    PROVIDER,
    DialActionForm,
    RecordingStatusForm,
    StatusCallbackForm,
    VoiceWebhookForm,
    parse_form,
    started_at_param,
    tracking_number_param,
)
from call_ingest.metrics import WEBHOOKS
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallStarted, CallStatusChanged
from ctrack_common.logging import get_logger
from ctrack_common.web import json_error

__all__ = ["VOICE_PATH", "TwilioWebhooks"]

log = get_logger(__name__)

VOICE_PATH = "/v1/telephony/twilio/voice"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_E164_PREFIX = "+"


def _twiml(markup: str) -> Response:
    return Response(content=markup, media_type="application/xml")


def _count(webhook: str, outcome: str) -> None:
    WEBHOOKS.labels(PROVIDER, webhook, outcome).inc()


class TwilioWebhooks:
    """The Twilio adapter's HTTP surface."""

    def __init__(
        self,
        *,
        auth_token: str,
        public_base_url: str,
        config: ConfigView,
        publisher: CallEventSink,
        skew: timedelta = timedelta(seconds=120),
        lookup_grace: float = 0.0,
    ):
        self._recorder = CallRecorder(
            config=config, publisher=publisher, skew=skew, lookup_grace=lookup_grace
        )
        self._auth_token = auth_token
        self._base_url = public_base_url
        self._config = config
        self._publisher = publisher

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telephony: twilio"])
        router.add_api_route(
            VOICE_PATH, self.voice, methods=["POST"], summary="Twilio voice webhook: route and record a call"
        )
        router.add_api_route(
            STATUS_PATH, self.status, methods=["POST"], summary="Twilio status callback: record call progress"
        )
        router.add_api_route(
            DIAL_ACTION_PATH, self.dial, methods=["POST"], summary="Twilio <Dial> action: the call's outcome"
        )
        router.add_api_route(
            RECORDING_PATH,
            self.recording,
            methods=["POST"],
            summary="Twilio RecordingStatusCallback: the call's recording is available",
        )
        return router

    async def voice(self, request: Request) -> Response:
        params = await self._form(request)
        rejection = self._check_signature(request, VOICE_PATH, params, "voice")
        if rejection is not None:
            return rejection
        call = parse_form(VoiceWebhookForm, params).incoming_call()
        route = await self._recorder.route(PROVIDER, call.tracking_number)
        context = {"tracking_number": call.tracking_number, "call_sid": call.provider_call_id}
        if isinstance(route, NotOurs):
            log.warning("call_to_unknown_number", reason=route.reason, **context)
            _count("voice", "not_our_number")
            return _twiml(reject_call())
        event = call_started(call, route.owner, datetime.now(UTC))
        recorded = await self._publish(event)
        if isinstance(route, RecordAndReject):
            log.warning(
                "call_recorded_and_rejected", reason=route.reason, tenant_id=route.owner.tenant_id, **context
            )
            _count("voice", "recorded_rejected" if recorded else "rejected_unrecorded")
            return _twiml(reject_call())
        if not recorded:
            log.error("call_forwarded_unrecorded", tenant_id=route.owner.tenant_id, **context)
        _count("voice", "forwarded" if recorded else "forwarded_unrecorded")
        started_ms = int(event.payload.started_at.timestamp() * 1000)
        caller_id = (
            call.caller_number if call.caller_number.startswith(_E164_PREFIX) else call.tracking_number
        )
        return _twiml(
            forward_call(
                caller_id=caller_id,
                business_number=route.business_number,
                status_callback=status_callback_url(self._base_url, call.tracking_number, started_ms),
                action=dial_action_url(self._base_url, call.tracking_number, started_ms),
                record=self._recorder.records_audio(route.owner),
                recording_callback=recording_callback_url(
                    self._base_url, call.tracking_number, started_ms, call.caller_number
                ),
            )
        )

    async def status(self, request: Request) -> Response:
        params = await self._form(request)
        rejection = self._check_signature(request, STATUS_PATH, params, "status")
        if rejection is not None:
            return rejection
        form = parse_form(StatusCallbackForm, params)
        tracking_number = tracking_number_param(request.query_params, params)
        started_at = started_at_param(request.query_params)
        number = self._config.numbers.get(tracking_number)
        if number is None:
            log.warning("status_for_unknown_number", tracking_number=tracking_number, call_sid=form.CallSid)
            _count("status", "not_our_number")
            return _twiml(empty_response())
        owner = owner_of(number, dict(self._config.sites), dict(self._config.pools))
        received_at = datetime.now(UTC)
        event = call_status_changed(
            form.progress(tracking_number, received_at, started_at), owner, received_at
        )
        if not await self._publish(event):
            _count("status", "publish_failed")
            return json_error(503, "could not record the status change; retry later")
        _count("status", "recorded")
        return _twiml(empty_response())

    async def dial(self, request: Request) -> Response:
        """The forwarded leg's outcome (DialCallStatus): the call ended answered, missed, busy..."""
        params = await self._form(request)
        rejection = self._check_signature(request, DIAL_ACTION_PATH, params, "dial")
        if rejection is not None:
            return rejection
        form = parse_form(DialActionForm, params)
        tracking_number = tracking_number_param(request.query_params, params)
        started_at = started_at_param(request.query_params)
        resolved = self._recorder.resolve(tracking_number)
        if resolved is None:
            _count("dial", "not_our_number")
            return _twiml(empty_response())
        for observation in form.observations(tracking_number, started_at):
            if not await self._recorder.record(observation, resolved[1]):
                _count("dial", "publish_failed")
                return json_error(503, "could not record the call's outcome; retry later")
        _count("dial", "recorded")
        return _twiml(empty_response())

    async def recording(self, request: Request) -> Response:
        """A `<Dial record>` recording's status; `completed` announces it (same event id as the Dial
        action's RecordingUrl for the same RecordingSid, so consumers keep one)."""
        params = await self._form(request)
        rejection = self._check_signature(request, RECORDING_PATH, params, "recording")
        if rejection is not None:
            return rejection
        form = parse_form(RecordingStatusForm, params)
        tracking_number = tracking_number_param(request.query_params, params)
        started_at = started_at_param(request.query_params)
        resolved = self._recorder.resolve(tracking_number)
        if resolved is None:
            _count("recording", "not_our_number")
            return _twiml(empty_response())
        observation = form.observation(
            tracking_number, started_at, request.query_params.get("caller_number", "")
        )
        if observation is None:
            log.warning(
                "twilio_recording_not_available",
                call_sid=form.CallSid,
                recording_sid=form.RecordingSid,
                status=form.RecordingStatus,
                error_code=form.ErrorCode,
            )
            _count("recording", f"recording_{form.RecordingStatus}")
            return _twiml(empty_response())
        if not await self._recorder.record(observation, resolved[1]):
            _count("recording", "publish_failed")
            return json_error(503, "could not record the recording; retry later")
        _count("recording", "recorded")
        return _twiml(empty_response())

    async def _form(self, request: Request) -> list[tuple[str, str]]:
        """The form Twilio posted. Twilio's voice webhooks are always form-encoded; Twilio sends JSON
        (signed with `bodySHA256` in the URL) only for other products, so a JSON body here is a
        misconfigured webhook: 415 naming the content type, rather than a confusing 403."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_CONTENT_TYPE:
            raise HTTPException(
                415,
                detail=f"content-type {content_type or 'missing'!r}: Twilio webhooks here are {FORM_CONTENT_TYPE}",
            )
        form = await request.form()
        return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]

    def _check_signature(
        self, request: Request, path: str, params: list[tuple[str, str]], webhook: str
    ) -> Response | None:
        """None when the request is Twilio's; otherwise the 401/403 answer."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            _count(webhook, "missing_signature")
            return json_error(401, f"missing {SIGNATURE_HEADER} header")
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = f"{self._base_url}{path}" + (f"?{query}" if query else "")
        if not signature_matches(self._auth_token, url, params, signature):
            log.warning("bad_twilio_signature", path=path)
            _count(webhook, "bad_signature")
            return json_error(403, f"{SIGNATURE_HEADER} does not match this request")
        return None

    async def _publish(self, event: CallStarted | CallStatusChanged) -> bool:
        return await self._recorder.publish(event)
