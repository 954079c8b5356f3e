"""Zadarma PBX notifications: zd_echo check, Signature, routing reply, normalised call events.

| event         | produces                                                            | answer            |
|---------------|---------------------------------------------------------------------|-------------------|
| GET ?zd_echo= | nothing (Zadarma's URL check)                                       | the echo, text    |
| NOTIFY_START  | CallStarted (call_start)                                            | JSON redirect     |
| NOTIFY_END    | CallStatusChanged ended (outcome from `disposition`, talk = duration); CallRecordingAvailable when is_recorded=1 | 200 |
| NOTIFY_RECORD | nothing new: it names no called number; NOTIFY_END already announced the recording (same event id) | 200 |

Numbers come without "+" (called_did 74951234567); we write E.164. `call_start` is in the
account's time zone (ZADARMA_TIMEZONE).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError

from call_ingest.adapters import zadarma
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.domain.lifecycle import CallObservation, Stage, outcome_of_zadarma_disposition
from call_ingest.domain.routing import Forward, NotOurs
from call_ingest.entrypoints.recorder import CallRecorder, rejected
from call_ingest.metrics import WEBHOOKS
from ctrack_common.events import CallOutcome
from ctrack_common.logging import get_logger
from ctrack_common.web import json_error

__all__ = ["NOTIFY_PATH", "PROVIDER", "ZadarmaWebhooks", "observations_of"]

log = get_logger(__name__)

PROVIDER = "zadarma"
NOTIFY_PATH = "/v1/telephony/zadarma/notify"
RECORDING_URL_PREFIX = "zadarma:recording:"


def _e164(value: str) -> str:
    digits = value.strip().lstrip("+")
    return f"+{digits}" if digits.isdigit() else value


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("form", field), "msg": message, "type": "value_error"}])


def _required(form: Mapping[str, str], field: str) -> str:
    value = form.get(field, "")
    if not value:
        raise _invalid(field, "Field required")
    return value


def _call_start(form: Mapping[str, str], zone: ZoneInfo) -> datetime:
    value = _required(form, "call_start")
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    except ValueError:
        raise _invalid("call_start", "must be 'YYYY-MM-DD HH:MM:SS'") from None


def observations_of(form: Mapping[str, str], zone: ZoneInfo) -> list[CallObservation]:
    """Pure: the lifecycle stages a NOTIFY_START/NOTIFY_END states (422 on a bad field)."""
    event = form.get("event", "")
    if event not in ("NOTIFY_START", "NOTIFY_END"):
        return []
    call_id = _required(form, "pbx_call_id")
    caller = _e164(form.get("caller_id", ""))
    tracking = _e164(_required(form, "called_did"))
    started = _call_start(form, zone)
    if event == "NOTIFY_START":
        return [CallObservation(PROVIDER, call_id, Stage.STARTED, caller, tracking, started, started)]
    outcome = outcome_of_zadarma_disposition(_required(form, "disposition"))
    try:
        duration = int(form.get("duration") or 0)
    except ValueError:
        raise _invalid("duration", "must be whole seconds") from None
    talk = duration if outcome is CallOutcome.ANSWERED else 0
    ended = CallObservation(
        PROVIDER, call_id, Stage.ENDED, caller, tracking, started, outcome=outcome, talk_seconds=talk
    )
    recording = form.get("call_id_with_rec", "")
    if form.get("is_recorded") != "1" or not recording:
        return [ended]
    available = CallObservation(
        PROVIDER,
        call_id,
        Stage.RECORDING,
        caller,
        tracking,
        started,
        talk_seconds=talk,
        recording_id=recording,
        recording_url=RECORDING_URL_PREFIX + recording,
    )
    return [ended, available]


class ZadarmaWebhooks:
    def __init__(self, *, secret: str, timezone: str, forward_extension: str, recorder: CallRecorder) -> None:
        self._secret = secret
        self._zone = ZoneInfo(timezone)
        self._extension = forward_extension
        self._recorder = recorder

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telephony: zadarma"])
        router.add_api_route(NOTIFY_PATH, self.echo, methods=["GET"], summary="Zadarma URL check (zd_echo)")
        router.add_api_route(
            NOTIFY_PATH, self.notify, methods=["POST"], summary="Zadarma notifications: route and record"
        )
        return router

    async def echo(self, request: Request) -> Response:
        return Response(content=request.query_params.get("zd_echo", ""), media_type="text/plain")

    async def notify(self, request: Request) -> Response:
        form_data = await request.form()
        form = {k: v for k, v in form_data.multi_items() if isinstance(v, str)}
        event = form.get("event", "")
        signature = request.headers.get(zadarma.SIGNATURE_HEADER)
        if not signature:
            return rejected(PROVIDER, event or "notify", SignatureRejected(401, "missing Signature header"))
        if not zadarma.signature_matches(self._secret, event, form, signature):
            return rejected(
                PROVIDER, event or "notify", SignatureRejected(403, "Signature does not match this request")
            )
        observations = observations_of(form, self._zone)
        if not observations:
            WEBHOOKS.labels(PROVIDER, event, "ignored").inc()
            return Response(status_code=200)
        first = observations[0]
        if first.stage is Stage.STARTED:
            return await self._start(first)
        resolved = self._recorder.resolve(first.tracking_number)
        if resolved is None:
            WEBHOOKS.labels(PROVIDER, event, "not_our_number").inc()
            return Response(status_code=200)
        for observation in observations:
            if not await self._recorder.record(observation, resolved[1]):
                WEBHOOKS.labels(PROVIDER, event, "publish_failed").inc()
                return json_error(503, "could not record the event; retry later")
        WEBHOOKS.labels(PROVIDER, event, "recorded").inc()
        return Response(status_code=200)

    async def _start(self, observation: CallObservation) -> Response:
        route = await self._recorder.route(PROVIDER, observation.tracking_number)
        if isinstance(route, NotOurs):
            log.warning(
                "call_to_unknown_number", provider=PROVIDER, tracking_number=observation.tracking_number
            )
            WEBHOOKS.labels(PROVIDER, "NOTIFY_START", "not_our_number").inc()
            return Response(status_code=200)
        recorded = await self._recorder.record(observation, route.owner)
        if not isinstance(route, Forward):
            WEBHOOKS.labels(PROVIDER, "NOTIFY_START", "recorded_rejected").inc()
            return Response(content='{"hangup": 1}', media_type="application/json")
        if not recorded:
            log.error("call_forwarded_unrecorded", provider=PROVIDER, tenant_id=route.owner.tenant_id)
        WEBHOOKS.labels(PROVIDER, "NOTIFY_START", "forwarded" if recorded else "forwarded_unrecorded").inc()
        return Response(
            content=zadarma.forward_reply(extension=self._extension, business_number=route.business_number),
            media_type="application/json",
        )
