"""Generic JSON webhook for PBXs we have no adapter for, signed per the Standard Webhooks spec.

The PBX POSTs one JSON object per call event (headers webhook-id, webhook-timestamp,
webhook-signature; secret GENERIC_WEBHOOK_SECRET, `whsec_...`):

    {"type": "call.started" | "call.answered" | "call.ended" | "call.recording",
     "call_id": "...", "from": "+1...", "to": "+1... (the tracking number)",
     "started_at": "ISO 8601 (the earliest ringing time)", "occurred_at": "ISO 8601, optional",
     "outcome": "answered|missed|busy|failed|cancelled (call.ended, of the forwarded leg)",
     "ring_seconds": 0, "talk_seconds": 0, "recording_url": "https://... (call.recording)"}

`call.started` is answered with where to forward: {"action": "forward", "number": "+1...", "record": bool} or
{"action": "reject"}. Other events: 204. Bad field: 422 naming it (`body.to`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from call_ingest.adapters import standard_webhooks
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.domain.lifecycle import CallObservation, Stage
from call_ingest.domain.routing import Forward, NotOurs
from call_ingest.entrypoints.recorder import CallRecorder, rejected
from call_ingest.metrics import WEBHOOKS
from ctrack_common.events import E164, CallOutcome
from ctrack_common.web import json_error

__all__ = ["GENERIC_PATH", "PROVIDER", "GenericCallEvent", "GenericWebhooks"]

PROVIDER = "generic"
GENERIC_PATH = "/v1/telephony/generic/events"

_STAGES = {
    "call.started": Stage.STARTED,
    "call.answered": Stage.ANSWERED,
    "call.ended": Stage.ENDED,
    "call.recording": Stage.RECORDING,
}


class GenericCallEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    type: Literal["call.started", "call.answered", "call.ended", "call.recording"]
    call_id: str = Field(min_length=1, max_length=200)
    from_: str = Field(default="", alias="from")
    to: E164
    started_at: AwareDatetime
    occurred_at: AwareDatetime | None = None
    outcome: CallOutcome | None = None
    ring_seconds: int | None = Field(default=None, ge=0)
    talk_seconds: int | None = Field(default=None, ge=0)
    recording_url: str | None = None

    def observation(self) -> CallObservation:
        if self.type == "call.ended" and self.outcome is None:
            raise RequestValidationError(
                [{"loc": ("body", "outcome"), "msg": "required for call.ended", "type": "missing"}]
            )
        if self.type == "call.recording" and not self.recording_url:
            raise RequestValidationError(
                [{"loc": ("body", "recording_url"), "msg": "required for call.recording", "type": "missing"}]
            )
        return CallObservation(
            provider=PROVIDER,
            provider_call_id=self.call_id,
            stage=_STAGES[self.type],
            caller_number=self.from_,
            tracking_number=self.to,
            started_at=self.started_at,
            occurred_at=self.occurred_at or (self.started_at if self.type == "call.started" else None),
            outcome=self.outcome,
            ring_seconds=self.ring_seconds,
            talk_seconds=self.talk_seconds,
            recording_id=self.recording_url,
            recording_url=self.recording_url,
        )


class GenericWebhooks:
    def __init__(self, *, secret: str, tolerance: timedelta, recorder: CallRecorder) -> None:
        self._secret = secret
        self._tolerance = tolerance
        self._recorder = recorder

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telephony: generic"])
        router.add_api_route(
            GENERIC_PATH, self.events, methods=["POST"], summary="Generic PBX webhook (Standard Webhooks)"
        )
        return router

    async def events(self, request: Request) -> Response:
        body = await request.body()
        try:
            standard_webhooks.verify(
                self._secret,
                body,
                msg_id=request.headers.get(standard_webhooks.ID_HEADER),
                timestamp=request.headers.get(standard_webhooks.TIMESTAMP_HEADER),
                signatures=request.headers.get(standard_webhooks.SIGNATURE_HEADER),
                now=datetime.now(UTC),
                tolerance=self._tolerance,
            )
        except SignatureRejected as error:
            return rejected(PROVIDER, "events", error)
        try:
            event = GenericCallEvent.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            ) from None
        observation = event.observation()
        if observation.stage is Stage.STARTED:
            route = await self._recorder.route(PROVIDER, observation.tracking_number)
            if isinstance(route, NotOurs):
                WEBHOOKS.labels(PROVIDER, event.type, "not_our_number").inc()
                return JSONResponse({"action": "reject"})
            recorded = await self._recorder.record(observation, route.owner)
            WEBHOOKS.labels(PROVIDER, event.type, "recorded" if recorded else "forwarded_unrecorded").inc()
            if isinstance(route, Forward):
                record = self._recorder.records_audio(route.owner)
                return JSONResponse({"action": "forward", "number": route.business_number, "record": record})
            return JSONResponse({"action": "reject"})
        resolved = self._recorder.resolve(observation.tracking_number)
        if resolved is None:
            WEBHOOKS.labels(PROVIDER, event.type, "not_our_number").inc()
            return Response(status_code=204)
        if not await self._recorder.record(observation, resolved[1]):
            WEBHOOKS.labels(PROVIDER, event.type, "publish_failed").inc()
            return json_error(503, "could not record the event; retry later")
        WEBHOOKS.labels(PROVIDER, event.type, "recorded").inc()
        return Response(status_code=204)
