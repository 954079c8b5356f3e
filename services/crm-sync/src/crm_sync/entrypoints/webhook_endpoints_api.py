"""`/v1/webhook-endpoints`: a tenant's outbound webhook endpoints.

Writes are events on the config-webhooks topic (durable before we answer) and are read back
through this process's read model, so a GET right after a POST or DELETE sees it. The signing
secret is shown once, on creation; listings mask it. Other tenants' endpoints are 404.
"""

# No `from __future__ import annotations`: FastAPI must see the per-app `Annotated` dependency
# alias below as an object, not as a name it cannot resolve.
import asyncio
import base64
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, HttpUrl
from starlette.concurrency import run_in_threadpool

from crm_sync.domain.signing import SECRET_PREFIX, mask_secret
from ctrack_common.config_view import ConfigView
from ctrack_common.events import WebhookEndpointConfigured, WebhookEndpointConfiguredPayload, event_id_for
from ctrack_common.messaging import EventProducer, PublishFailed
from ctrack_common.topics import CONFIG_WEBHOOKS
from ctrack_common.web import TenantAuth, json_error

__all__ = ["EndpointCreated", "EndpointList", "EndpointView", "NewEndpoint", "webhook_endpoints_router"]

SECRET_BYTES = 24
_READ_BACK_POLL_SECONDS = 0.02


class NewEndpoint(BaseModel):
    url: HttpUrl = Field(description="Where attributed calls are POSTed (http or https).")


class EndpointCreated(BaseModel):
    endpoint_id: str
    url: str
    secret: str = Field(description="Standard Webhooks signing secret. Shown only in this response.")


class EndpointView(BaseModel):
    endpoint_id: str
    url: str
    secret: str = Field(description="Masked: 'whsec_...' and the last 4 characters.")


class EndpointList(BaseModel):
    endpoints: list[EndpointView]


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_endpoints_router(
    *, config: ConfigView, producer: EventProducer, auth: TenantAuth, read_back_seconds: float
) -> APIRouter:
    router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook endpoints"])
    tenant_dependency = Annotated[str, Depends(auth)]

    async def publish(event: WebhookEndpointConfigured) -> JSONResponse | None:
        """Publish durably, then wait (bounded) until the read model shows it; an error response if not durable."""
        try:
            await run_in_threadpool(
                producer.publish, CONFIG_WEBHOOKS, event.payload.endpoint_id, event, wait=True
            )
        except PublishFailed:
            return json_error(503, "could not store the change; retry later")
        deadline = time.monotonic() + read_back_seconds
        while time.monotonic() < deadline:
            applied = config.webhooks.get(event.payload.endpoint_id)
            if applied is not None and applied.event_id == event.event_id:
                break
            await asyncio.sleep(_READ_BACK_POLL_SECONDS)
        return None

    def owned(tenant_id: str, endpoint_id: str) -> WebhookEndpointConfigured | None:
        endpoint = config.webhooks.get(endpoint_id)
        if endpoint is None or endpoint.tenant_id != tenant_id or not endpoint.payload.active:
            return None
        return endpoint

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=EndpointCreated,
        summary="Add a webhook endpoint",
    )
    async def create(body: NewEndpoint, tenant_id: tenant_dependency) -> EndpointCreated | JSONResponse:
        endpoint_id = f"ep_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        event = WebhookEndpointConfigured(
            event_id=event_id_for("webhook-endpoint", endpoint_id, "created"),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            payload=WebhookEndpointConfiguredPayload(
                endpoint_id=endpoint_id, url=str(body.url), secret=_new_secret()
            ),
        )
        failed = await publish(event)
        if failed is not None:
            return failed
        return EndpointCreated(endpoint_id=endpoint_id, url=event.payload.url, secret=event.payload.secret)

    @router.get("", response_model=EndpointList, summary="List webhook endpoints (secrets masked)")
    async def list_endpoints(tenant_id: tenant_dependency) -> EndpointList:
        endpoints = sorted(config.webhook_endpoints(tenant_id), key=lambda e: e.payload.endpoint_id)
        return EndpointList(
            endpoints=[
                EndpointView(
                    endpoint_id=e.payload.endpoint_id, url=e.payload.url, secret=mask_secret(e.payload.secret)
                )
                for e in endpoints
            ]
        )

    @router.delete(
        "/{endpoint_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        summary="Remove an endpoint",
    )
    async def delete(endpoint_id: str, tenant_id: tenant_dependency) -> Response:
        endpoint = owned(tenant_id, endpoint_id)
        if endpoint is None:
            return json_error(404, f"no webhook endpoint {endpoint_id!r}")
        now = datetime.now(UTC)
        event = WebhookEndpointConfigured(
            event_id=event_id_for("webhook-endpoint", endpoint_id, "deleted"),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            # A removed endpoint's secret is never needed again: do not keep it on the topic.
            payload=endpoint.payload.model_copy(update={"active": False, "secret": ""}),
        )
        failed = await publish(event)
        return failed if failed is not None else Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
