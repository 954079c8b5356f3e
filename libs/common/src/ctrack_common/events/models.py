"""Event models for every topic: the published contract of the platform.

Each event class fixes its `event_type` (a past-tense name) and its payload.
`schemas/` holds the JSON Schema generated from these classes; a test keeps
the two in step and another checks compatibility against a frozen baseline.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from ctrack_common.events.envelope import Envelope, Payload

__all__ = [
    "E164",
    "CallAttributed",
    "CallAttributedPayload",
    "CallFacts",
    "CallOutcome",
    "CallRecordingAvailable",
    "CallStarted",
    "CallStatus",
    "CallStatusChanged",
    "CallerBlockConfigured",
    "CallerBlockConfiguredPayload",
    "Classification",
    "LeaseDeferralCancelled",
    "LeaseDeferralCancelledPayload",
    "LeaseDeferred",
    "LeaseDeferredPayload",
    "LeaseDenied",
    "LeaseDeniedPayload",
    "LeaseExpired",
    "LeaseExpiredPayload",
    "LeaseGranted",
    "LeaseGrantedPayload",
    "LeaseHoldEnded",
    "LeaseHoldEndedPayload",
    "LeaseReleased",
    "LeaseReleasedPayload",
    "LeaseRenewed",
    "LeaseRenewedPayload",
    "LeaseRevoked",
    "LeaseRevokedPayload",
    "NumberConfigured",
    "NumberConfiguredPayload",
    "NumberRevealed",
    "NumberRevealedPayload",
    "NumberRole",
    "PoolConfigured",
    "PoolConfiguredPayload",
    "PoolExhausted",
    "PoolExhaustedPayload",
    "SessionSnapshot",
    "SiteConfigured",
    "SiteConfiguredPayload",
    "SiteDisplaySettings",
    "StaticNumberAssigned",
    "StaticNumberAssignedPayload",
    "StaticRuleConfigured",
    "StaticRuleConfiguredPayload",
    "StaticRuleMatch",
    "TenantConfigured",
    "TenantConfiguredPayload",
    "VisitHeartbeat",
    "VisitHeartbeatPayload",
    "VisitLeft",
    "VisitLeftPayload",
    "VisitPageViewed",
    "VisitPageViewedPayload",
    "VisitStarted",
    "VisitStartedPayload",
    "WebhookAbandoned",
    "WebhookDelivered",
    "WebhookDeliveryPayload",
    "WebhookEndpointConfigured",
    "WebhookEndpointConfiguredPayload",
]

_E164_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")


def _check_e164(value: str) -> str:
    if not _E164_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an E.164 number such as +14155550100")
    return value


E164 = Annotated[
    str, AfterValidator(_check_e164), Field(examples=["+14155550100"], pattern=_E164_PATTERN.pattern)
]


# --- visits -------------------------------------------------------------------------------------


class SessionSnapshot(Payload):
    """Where a visitor came from, as known when a number was granted or the snapshot changed."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    term: str | None = None
    content: str | None = None
    gclid: str | None = None
    yclid: str | None = None
    fbclid: str | None = None
    msclkid: str | None = None
    landing_page: str | None = None
    referrer: str | None = None
    ga_client_id: str | None = None
    device: str | None = None
    user_agent: str | None = None
    session_id: str | None = Field(
        default=None, description="The visitor's session: new after 30 minutes idle or on a new campaign."
    )
    search_terms: str | None = Field(
        default=None, description="Search words taken from the referrer, if any."
    )
    ym_client_id: str | None = Field(default=None, description="Yandex Metrica client id (_ym_uid cookie).")
    os: str | None = None
    browser: str | None = None
    pages_seen: tuple[str, ...] = Field(
        default=(), description="Paths viewed in this session so far, oldest first (at most 50)."
    )


class VisitStartedPayload(Payload):
    visit_id: str
    visitor_id: str
    pool_id: str
    page_url: str
    session: SessionSnapshot


class VisitStarted(Envelope):
    """A visitor opened a page of a tracked site and asks for a number."""

    event_type: Literal["VisitStarted"] = "VisitStarted"
    payload: VisitStartedPayload


class VisitHeartbeatPayload(Payload):
    visit_id: str
    visitor_id: str
    pool_id: str
    active: bool | None = Field(
        default=None,
        description="The visitor interacted with a tab since the last heartbeat (idle reclaim counts from "
        "the last activity); absent means not known, counted as no activity.",
    )


class VisitHeartbeat(Envelope):
    """A visitor's page is still open: the lease on their number should be renewed."""

    event_type: Literal["VisitHeartbeat"] = "VisitHeartbeat"
    payload: VisitHeartbeatPayload


class VisitPageViewedPayload(Payload):
    visit_id: str
    visitor_id: str
    pool_id: str
    page_url: str
    session: SessionSnapshot = Field(description="The session snapshot including this page in `pages_seen`.")


class VisitPageViewed(Envelope):
    """A visitor holding a number opened another page of the site (activity, and a new snapshot)."""

    event_type: Literal["VisitPageViewed"] = "VisitPageViewed"
    payload: VisitPageViewedPayload


class VisitLeftPayload(Payload):
    visit_id: str
    visitor_id: str
    pool_id: str


class VisitLeft(Envelope):
    """The visitor left the site (the tracker's leave beacon): their lease ends and the number goes on hold."""

    event_type: Literal["VisitLeft"] = "VisitLeft"
    payload: VisitLeftPayload


class NumberRevealedPayload(Payload):
    visit_id: str
    visitor_id: str
    pool_id: str
    number: E164 = Field(description="The number the click revealed (click-to-reveal sites).")
    session_id: str | None = None


class NumberRevealed(Envelope):
    """A visitor clicked to reveal a masked phone number (click-to-reveal mode): a lead signal, no lease."""

    event_type: Literal["NumberRevealed"] = "NumberRevealed"
    payload: NumberRevealedPayload


# --- leases -------------------------------------------------------------------------------------


class LeaseGrantedPayload(Payload):
    lease_id: str
    pool_id: str
    number: E164
    visitor_id: str
    visit_id: str
    expires_at: AwareDatetime
    session: SessionSnapshot


class LeaseGranted(Envelope):
    """A pool number was bound to a visitor from `occurred_at` until `expires_at` unless renewed."""

    event_type: Literal["LeaseGranted"] = "LeaseGranted"
    payload: LeaseGrantedPayload


class LeaseRenewedPayload(Payload):
    lease_id: str
    pool_id: str
    number: E164
    visitor_id: str
    visit_id: str
    expires_at: AwareDatetime
    session: SessionSnapshot
    active_at: AwareDatetime | None = Field(
        default=None, description="Last visitor activity on the lease (idle reclaim counts from it)."
    )


class LeaseRenewed(Envelope):
    """A live lease was extended (heartbeat or a new page view by its holder)."""

    event_type: Literal["LeaseRenewed"] = "LeaseRenewed"
    payload: LeaseRenewedPayload


class LeaseExpiredPayload(Payload):
    lease_id: str
    pool_id: str
    number: E164
    visitor_id: str
    hold_until: AwareDatetime | None = Field(
        default=None, description="The number stays on hold for its last holder until then (none: no hold)."
    )


class LeaseExpired(Envelope):
    """Heartbeats stopped: the lease ended at `occurred_at`."""

    event_type: Literal["LeaseExpired"] = "LeaseExpired"
    payload: LeaseExpiredPayload


class LeaseDeniedPayload(Payload):
    pool_id: str
    visitor_id: str
    visit_id: str
    reason: Literal["pool_exhausted", "pool_empty"]
    default_number: E164 | None = None


class LeaseDenied(Envelope):
    """No pool number was free for the visitor; they are shown the default number."""

    event_type: Literal["LeaseDenied"] = "LeaseDenied"
    payload: LeaseDeniedPayload


class LeaseReleasedPayload(Payload):
    lease_id: str
    pool_id: str
    number: E164
    visitor_id: str
    visit_id: str
    hold_until: AwareDatetime | None = None


class LeaseReleased(Envelope):
    """The visitor left: the lease ended at `occurred_at`; the number is on hold for them until `hold_until`."""

    event_type: Literal["LeaseReleased"] = "LeaseReleased"
    payload: LeaseReleasedPayload


class LeaseRevokedPayload(Payload):
    lease_id: str
    pool_id: str
    number: E164
    visitor_id: str
    reason: Literal["idle"] = "idle"
    hold_until: AwareDatetime | None = None
    default_number: E164 | None = Field(
        default=None, description="What the visitor's open tabs show instead (the after-reclaim default)."
    )


class LeaseRevoked(Envelope):
    """The lease was taken back (tabs idle too long): it ended at `occurred_at`."""

    event_type: Literal["LeaseRevoked"] = "LeaseRevoked"
    payload: LeaseRevokedPayload


class LeaseHoldEndedPayload(Payload):
    pool_id: str
    number: E164
    visitor_id: str = Field(description="The last holder the number was kept for.")


class LeaseHoldEnded(Envelope):
    """The hold after a lease ended is over: from `occurred_at` anyone may get the number."""

    event_type: Literal["LeaseHoldEnded"] = "LeaseHoldEnded"
    payload: LeaseHoldEndedPayload


class LeaseDeferredPayload(Payload):
    pool_id: str
    visitor_id: str
    visit_id: str
    grant_at: AwareDatetime = Field(description="When a pool number will be granted (delayed display).")
    session: SessionSnapshot
    default_number: E164 | None = Field(
        default=None, description="Shown until then (before-display default)."
    )


class LeaseDeferred(Envelope):
    """A visitor asked for a number; the pool grants one only at `grant_at` (delayed display)."""

    event_type: Literal["LeaseDeferred"] = "LeaseDeferred"
    payload: LeaseDeferredPayload


class LeaseDeferralCancelledPayload(Payload):
    pool_id: str
    visitor_id: str
    visit_id: str


class LeaseDeferralCancelled(Envelope):
    """The visitor left before their deferred grant: no number will be granted for it."""

    event_type: Literal["LeaseDeferralCancelled"] = "LeaseDeferralCancelled"
    payload: LeaseDeferralCancelledPayload


class StaticNumberAssignedPayload(Payload):
    pool_id: str
    visitor_id: str
    visit_id: str
    number: E164 = Field(description="The static channel number shown instead of a pool number.")
    rule_id: str
    channel: str | None = None
    session: SessionSnapshot


class StaticNumberAssigned(Envelope):
    """A visit matched a static tracking rule: it is shown the rule's channel number and takes no lease."""

    event_type: Literal["StaticNumberAssigned"] = "StaticNumberAssigned"
    payload: StaticNumberAssignedPayload


class PoolExhaustedPayload(Payload):
    pool_id: str
    exhausted_since: AwareDatetime = Field(description="The first denial for want of a free number.")
    ended_at: AwareDatetime = Field(description="When a number could be granted again.")
    duration_seconds: float
    denied_visits: int = Field(ge=0)


class PoolExhausted(Envelope):
    """The pool had no number to grant from `exhausted_since` to `ended_at` (published when it ends)."""

    event_type: Literal["PoolExhausted"] = "PoolExhausted"
    payload: PoolExhaustedPayload


# --- calls --------------------------------------------------------------------------------------


class CallStatus(StrEnum):
    """Call progress as telephony providers report it (Twilio's vocabulary)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


class CallOutcome(StrEnum):
    """How an ended call went, decided by the forwarded leg (the business's phone), not the caller's leg."""

    ANSWERED = "answered"
    MISSED = "missed"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CallFacts(Payload):
    """What the provider told us about one inbound call at one moment."""

    call_id: str = Field(description="Platform call id: '<provider>:<provider call id>'.")
    provider: str
    provider_call_id: str
    caller_number: str = Field(description="E.164 when the provider knows it, else as given.")
    tracking_number: E164
    started_at: AwareDatetime
    status: CallStatus
    answered: bool = False
    duration_seconds: int | None = None
    sequence_number: int = 0
    outcome: CallOutcome | None = Field(
        default=None, description="Set when the call ended: decided by the forwarded leg's outcome."
    )
    ring_seconds: int | None = Field(
        default=None, ge=0, description="Ringing before answer/give-up, if known."
    )
    talk_seconds: int | None = Field(default=None, ge=0, description="Connected time, if known.")
    recording_url: str | None = Field(default=None, description="Where the call's recording can be fetched.")
    blocked: bool = Field(
        default=False, description="The caller is on the tenant's block list: recorded, never sent to a CRM."
    )
    block_reason: str | None = None


class CallStarted(Envelope):
    """A call to a tracking number started ringing (the provider's incoming-call webhook)."""

    event_type: Literal["CallStarted"] = "CallStarted"
    payload: CallFacts


class CallStatusChanged(Envelope):
    """The provider reported progress of a call (answered, completed, missed...)."""

    event_type: Literal["CallStatusChanged"] = "CallStatusChanged"
    payload: CallFacts


class CallRecordingAvailable(Envelope):
    """The provider has a recording of the call (`payload.recording_url`)."""

    event_type: Literal["CallRecordingAvailable"] = "CallRecordingAvailable"
    payload: CallFacts


# --- attributed-calls ---------------------------------------------------------------------------


class Classification(StrEnum):
    DYNAMIC = "dynamic"
    STATIC = "static"
    DEFAULT_BEFORE_DISPLAY = "default-before-display"
    DEFAULT_AFTER_RECLAIM = "default-after-reclaim"
    OVERFLOW = "overflow"
    UNATTRIBUTED = "unattributed"
    BLOCKED = "blocked"


class CallAttributedPayload(Payload):
    call_id: str
    version: int = Field(ge=1, description="Grows by one each time the answer for this call changes.")
    call: CallFacts
    classification: Classification
    unattributed_reason: str | None = None
    lease_id: str | None = None
    visitor_id: str | None = None
    visit_id: str | None = None
    session: SessionSnapshot | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    confidence_reasons: tuple[str, ...] = ()
    first_time_caller: bool
    channel: str | None = Field(
        default=None, description="The channel of a static number (classification static)."
    )
    first_touch: SessionSnapshot | None = Field(
        default=None, description="Session of the caller's first attributed call to this tenant."
    )
    last_touch: SessionSnapshot | None = Field(
        default=None, description="Session of the caller's latest attributed call before this one."
    )


class CallAttributed(Envelope):
    """The platform's answer to 'which session made this call', in its `version`-th revision."""

    event_type: Literal["CallAttributed"] = "CallAttributed"
    payload: CallAttributedPayload


# --- configuration (compacted topics) -----------------------------------------------------------


class TenantConfiguredPayload(Payload):
    name: str
    api_key_sha256: tuple[str, ...] = Field(description="Hex SHA-256 digests of the tenant's live API keys.")
    active: bool = True


class TenantConfigured(Envelope):
    """A tenant was created or changed (the latest record per tenant is its state)."""

    event_type: Literal["TenantConfigured"] = "TenantConfigured"
    payload: TenantConfiguredPayload


class SiteDisplaySettings(Payload):
    """How the tracker script shows numbers on this site's pages."""

    numbers_to_replace: tuple[E164, ...] = Field(
        default=(), description="The site's own numbers to find on its pages (none: the business number)."
    )
    consent_required: bool = Field(
        default=False, description="Send nothing until the page calls ctrack('consent', true)."
    )
    anti_flicker_ms: int = Field(
        default=0, ge=0, le=3000, description="Hide numbers until swapped or this long has passed (0: off)."
    )
    click_to_reveal: bool = Field(
        default=False, description="Mask the site's number; a click reveals it and is recorded."
    )


class SiteConfiguredPayload(Payload):
    name: str
    site_key: str = Field(description="Public key the tracker script sends; not a secret.")
    business_number: E164 = Field(description="Where calls to this site's tracking numbers are forwarded.")
    pool_id: str
    domains: tuple[str, ...] = ()
    record_calls: bool = Field(default=False, description="Record calls forwarded from this site's numbers.")
    display: SiteDisplaySettings = Field(default_factory=SiteDisplaySettings)


class SiteConfigured(Envelope):
    """A site was created or changed."""

    event_type: Literal["SiteConfigured"] = "SiteConfigured"
    payload: SiteConfiguredPayload


class PoolConfiguredPayload(Payload):
    pool_id: str
    lease_seconds: int = Field(gt=0)
    default_number: E164 | None = None
    hold_seconds: int | None = Field(
        default=None, ge=0, description="Hold after a lease ends (none: default)."
    )
    quarantine_seconds: int | None = Field(
        default=None, ge=0, description="Quarantine of a number moved into this pool (none: default)."
    )
    display_delay_seconds: int | None = Field(
        default=None, ge=0, description="Time on site before a pool number is granted (none: default)."
    )
    idle_reclaim_seconds: int | None = Field(
        default=None, gt=0, description="Inactivity after which a lease is revoked (none: default)."
    )
    default_before_display_number: E164 | None = None
    default_after_reclaim_number: E164 | None = None
    overflow_number: E164 | None = None


class PoolConfigured(Envelope):
    """A site's number pool settings were created or changed."""

    event_type: Literal["PoolConfigured"] = "PoolConfigured"
    payload: PoolConfiguredPayload


class NumberRole(StrEnum):
    POOL = "pool"
    DEFAULT = "default"
    DEFAULT_BEFORE_DISPLAY = "default-before-display"
    DEFAULT_AFTER_RECLAIM = "default-after-reclaim"
    OVERFLOW = "overflow"
    STATIC = "static"


class NumberConfiguredPayload(Payload):
    number: E164
    provider: str
    role: NumberRole
    pool_id: str | None = None
    label: str | None = None
    site_id: str | None = Field(default=None, description="The site a static number belongs to, if any.")
    channel: str | None = Field(
        default=None, description="What a static number tracks: 'print', 'radio', 'outdoor', 'google-ads'..."
    )
    active: bool = True
    available_from: AwareDatetime | None = Field(
        default=None, description="End of quarantine after a move between sites or pools."
    )


class NumberConfigured(Envelope):
    """A tracking number entered inventory, changed role, or was retired (`active` false)."""

    event_type: Literal["NumberConfigured"] = "NumberConfigured"
    payload: NumberConfiguredPayload


class StaticRuleMatch(Payload):
    """What a visit must show for a static rule to apply; every field given must match (case-insensitive)."""

    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer_host: str | None = Field(default=None, description="Matches the host and its subdomains.")
    landing_path_prefix: str | None = None


class StaticRuleConfiguredPayload(Payload):
    rule_id: str
    site_id: str
    number: E164 = Field(description="The static number (role 'static') shown to visits that match.")
    match: StaticRuleMatch
    priority: int = Field(default=100, description="Lower wins when several rules match.")
    active: bool = True


class StaticRuleConfigured(Envelope):
    """A static tracking rule of a site was created, changed or retired (`active` false)."""

    event_type: Literal["StaticRuleConfigured"] = "StaticRuleConfigured"
    payload: StaticRuleConfiguredPayload


class CallerBlockConfiguredPayload(Payload):
    caller_number: E164
    reason: str = Field(default="spam", max_length=200)
    active: bool = True


class CallerBlockConfigured(Envelope):
    """A caller number was put on (or taken off, `active` false) a tenant's block list."""

    event_type: Literal["CallerBlockConfigured"] = "CallerBlockConfigured"
    payload: CallerBlockConfiguredPayload


class WebhookEndpointConfiguredPayload(Payload):
    endpoint_id: str
    url: str
    secret: str = Field(description="Standard Webhooks signing secret ('whsec_' + base64).")
    active: bool = True


class WebhookEndpointConfigured(Envelope):
    """A tenant's outbound webhook endpoint was created or changed."""

    event_type: Literal["WebhookEndpointConfigured"] = "WebhookEndpointConfigured"
    payload: WebhookEndpointConfiguredPayload


# --- webhook-deliveries (internal to crm-sync, compacted by webhook id) -------------------------


class WebhookDeliveryPayload(Payload):
    webhook_id: str = Field(description="Standard Webhooks `webhook-id`: one per (endpoint, call, version).")
    endpoint_id: str
    call_id: str
    version: int = Field(ge=1)
    attempts: int = Field(ge=0)
    status_code: int | None = Field(default=None, description="HTTP status of the last attempt, if any.")
    reason: str | None = Field(default=None, description="Why delivery was abandoned.")


class WebhookDelivered(Envelope):
    """An endpoint acknowledged (2xx) one version of an attributed call: it is never sent again."""

    event_type: Literal["WebhookDelivered"] = "WebhookDelivered"
    payload: WebhookDeliveryPayload


class WebhookAbandoned(Envelope):
    """Delivery of one version to an endpoint failed permanently or ran out of retry time."""

    event_type: Literal["WebhookAbandoned"] = "WebhookAbandoned"
    payload: WebhookDeliveryPayload
