"""Telnyx Call Control webhooks: verify Ed25519 + replay window, normalise, record.

| event_type     | leg                          | produces                         |
|----------------|------------------------------|----------------------------------|
| call.initiated | incoming (caller -> tracking) | CallStarted (start_time)         |
| call.answered  | outgoing (the forwarded leg)  | CallStatusChanged answered       |
| call.bridged   | either                        | CallStatusChanged answered       |
| call.hangup    | outgoing (the forwarded leg)  | CallStatusChanged ended, outcome from hangup_cause |

Ring and talk seconds come from the webhooks' own times (`ring_and_talk`): ring = first of
answered/bridged - initiated (start_time), talk = hangup (end_time) - bridged. This process keeps
those moments per call in memory (`adapters/call_timeline.py`): a call whose earlier webhooks went to
another replica gets no ring/talk time rather than a wrong one.

The routing answer is a `transfer` command (adapters/telnyx_commands.py) sent when the inbound
leg's call.initiated arrives for a number that forwards, before the call is recorded: the call
reaches the business first. A transfer Telnyx did not accept is answered 503 so Telnyx redelivers
call.initiated (the command_id, our CallStarted id, makes the retry safe).

Other events and the inbound leg's own answer/hangup are acknowledged (200) and not recorded: the
forwarded leg decides answered or missed. The tracking number is the `client_state` we set when
forwarding (base64 JSON {"tracking_number", "caller_number"}), else whichever of `to`/`from` is in our
inventory; the forwarded leg's caller is the `caller_number` we put there.
A webhook we could not record is answered 503 so Telnyx retries it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from call_ingest.adapters import telnyx
from call_ingest.adapters.call_timeline import CallTimeline
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.adapters.telnyx_commands import TelnyxCommandFailed, TelnyxCommands
from call_ingest.domain.facts import call_id_for
from call_ingest.domain.lifecycle import CallObservation, Stage, outcome_of_telnyx_hangup, ring_and_talk
from call_ingest.domain.routing import Forward
from call_ingest.entrypoints.recorder import CallRecorder, rejected
from call_ingest.metrics import WEBHOOKS
from ctrack_common.events import event_id_for
from ctrack_common.logging import get_logger
from ctrack_common.web import json_error

__all__ = ["EVENTS_PATH", "PROVIDER", "TelnyxWebhooks", "observation_of", "timed"]

log = get_logger(__name__)

PROVIDER = "telnyx"
EVENTS_PATH = "/v1/telephony/telnyx/events"
TIMELINE_CALLS = 100_000


def observation_of(event: telnyx.TelnyxEvent, tracking_number: str) -> CallObservation | None:
    """Pure: the lifecycle stage a Telnyx event states, or None when it states none we record."""
    data, p = event.data, event.data.payload
    outgoing = p.direction == "outgoing"
    caller = (telnyx.client_state_caller(p.client_state) or "") if outgoing else (p.from_ or "")
    base = CallObservation(
        PROVIDER,
        p.call_session_id,
        Stage.STARTED,
        caller,
        tracking_number,
        occurred_at=data.occurred_at,
    )
    match data.event_type:
        case "call.initiated" if not outgoing:
            return replace(base, started_at=p.start_time or data.occurred_at)
        case "call.bridged":
            return replace(base, stage=Stage.ANSWERED)
        case "call.answered" if outgoing:
            return replace(base, stage=Stage.ANSWERED)
        case "call.hangup" if outgoing:
            return replace(
                base,
                stage=Stage.ENDED,
                occurred_at=p.end_time or data.occurred_at,
                outcome=outcome_of_telnyx_hangup(p.hangup_cause or ""),
            )
    return None


def _moment(observation: CallObservation, event: telnyx.TelnyxEvent) -> str:
    """Which moment of the call `observation` marks, for ring and talk times."""
    if observation.stage is Stage.ANSWERED:
        return "bridged" if event.data.event_type == "call.bridged" else "answered"
    return {Stage.STARTED: "initiated", Stage.ENDED: "ended"}.get(observation.stage, "")


def timed(observation: CallObservation, moments: dict[str, datetime]) -> CallObservation:
    """Pure: `observation` with the call's start, ring and talk seconds from the moments known so far."""
    if observation.stage is Stage.STARTED:
        return observation
    ring, talk = ring_and_talk(
        initiated=moments.get("initiated"),
        answered=moments.get("answered"),
        bridged=moments.get("bridged"),
        ended=moments.get("ended") if observation.stage is Stage.ENDED else None,
        outcome=observation.outcome,
    )
    return replace(
        observation,
        started_at=moments.get("initiated"),
        ring_seconds=ring,
        talk_seconds=talk if observation.stage is Stage.ENDED else None,
    )


class TelnyxWebhooks:
    def __init__(
        self,
        *,
        public_key: str,
        tolerance: timedelta,
        recorder: CallRecorder,
        commands: TelnyxCommands | None = None,
        timeline: CallTimeline | None = None,
    ) -> None:
        self._timeline = timeline or CallTimeline(TIMELINE_CALLS)
        self._commands = commands
        self._public_key = public_key
        self._tolerance = tolerance
        self._recorder = recorder

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telephony: telnyx"])
        router.add_api_route(
            EVENTS_PATH,
            self.events,
            methods=["POST"],
            summary="Telnyx Call Control webhook: record call progress",
        )
        return router

    async def events(self, request: Request) -> Response:
        body = await request.body()
        try:
            telnyx.verify(
                self._public_key,
                body,
                timestamp=request.headers.get(telnyx.TIMESTAMP_HEADER),
                signature_b64=request.headers.get(telnyx.SIGNATURE_HEADER),
                now=datetime.now(UTC),
                tolerance=self._tolerance,
            )
        except SignatureRejected as error:
            return rejected(PROVIDER, "events", error)
        try:
            event = telnyx.TelnyxEvent.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            ) from None
        p = event.data.payload
        resolved = self._recorder.resolve(telnyx.client_state_number(p.client_state), p.to, p.from_)
        if resolved is None:
            WEBHOOKS.labels(PROVIDER, "events", "not_our_number").inc()
            return Response(status_code=200)
        tracking_number, owner = resolved
        observation = observation_of(event, tracking_number)
        if observation is None:
            WEBHOOKS.labels(PROVIDER, "events", "ignored").inc()
            return Response(status_code=200)
        at = observation.started_at if observation.stage is Stage.STARTED else observation.occurred_at
        moments = self._timeline.note(observation.provider_call_id, _moment(observation, event), at)
        observation = timed(observation, moments)
        if observation.stage is Stage.STARTED and not await self._forward(event, tracking_number):
            return json_error(503, "could not forward the call; retry")
        if not await self._recorder.record(observation, owner):
            WEBHOOKS.labels(PROVIDER, "events", "publish_failed").inc()
            return json_error(503, "could not record the event; retry later")
        WEBHOOKS.labels(PROVIDER, "events", "recorded").inc()
        return Response(status_code=200)

    async def _forward(self, event: telnyx.TelnyxEvent, tracking_number: str) -> bool:
        """Send the transfer for a forwarding number; False only when Telnyx did not take it."""
        route = await self._recorder.route(PROVIDER, tracking_number)
        p = event.data.payload
        if not isinstance(route, Forward) or not p.call_control_id:
            return True
        if self._commands is None or not self._commands.configured:
            log.warning("telnyx_call_not_forwarded", reason="TELNYX_API_KEY not set")
            return True
        try:
            await self._commands.transfer(
                call_control_id=p.call_control_id,
                to=route.business_number,
                tracking_number=tracking_number,
                caller_number=p.from_ or "",
                command_id=str(event_id_for(call_id_for(PROVIDER, p.call_session_id), "started")),
                record=self._recorder.records_audio(route.owner),
            )
        except TelnyxCommandFailed as exc:
            log.error("telnyx_transfer_failed", tracking_number=tracking_number, error=str(exc))
            WEBHOOKS.labels(PROVIDER, "events", "transfer_failed").inc()
            return False
        WEBHOOKS.labels(PROVIDER, "events", "forwarded").inc()
        return True
