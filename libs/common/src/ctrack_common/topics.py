"""The one registry of Kafka topics: name, key, partitioning and retention.

No topic name appears as a string literal anywhere else; services import the
`Topic` they need from here. `schemas/topics.json` is generated from this
registry and checked against it by a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ALL_TOPICS",
    "ATTRIBUTED_CALLS",
    "ATTRIBUTED_CALLS_REPLAY",
    "ATTRIBUTION_BY_CALLER",
    "ATTRIBUTION_TICKS",
    "CALLS",
    "CONFIG_BLOCK_LIST",
    "CONFIG_NUMBERS",
    "CONFIG_POOLS",
    "CONFIG_SITES",
    "CONFIG_STATIC_RULES",
    "CONFIG_TENANTS",
    "CONFIG_WEBHOOKS",
    "DEAD_LETTERS",
    "LEASES",
    "LEASE_HISTORY_BY_NUMBER",
    "VISITS",
    "WEBHOOK_DELIVERIES",
    "Topic",
]

DATA_PARTITIONS = 4
CONFIG_PARTITIONS = 1


@dataclass(frozen=True)
class Topic:
    """A Kafka topic as the platform declares it."""

    name: str
    key: str
    description: str
    partitions: int = DATA_PARTITIONS
    compacted: bool = False
    internal: bool = False
    event_types: tuple[str, ...] = field(default=())

    def config(self) -> dict[str, str]:
        """Topic-level broker settings used when the topic is created."""
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
        return {"cleanup.policy": "delete", "retention.ms": str(90 * 24 * 3600 * 1000)}


VISITS = Topic(
    "visits",
    key="pool_id",
    description="Visitor activity on tracked sites: page views and heartbeats asking for a number.",
    event_types=("VisitStarted", "VisitHeartbeat", "VisitPageViewed", "VisitLeft", "NumberRevealed"),
)
LEASES = Topic(
    "leases",
    key="pool_id",
    description="Lease lifecycle of pool numbers; the allocator is the single writer per pool.",
    event_types=(
        "LeaseGranted",
        "LeaseRenewed",
        "LeaseExpired",
        "LeaseDenied",
        "LeaseReleased",
        "LeaseRevoked",
        "LeaseHoldEnded",
        "LeaseDeferred",
        "LeaseDeferralCancelled",
        "StaticNumberAssigned",
        "PoolExhausted",
    ),
)
CALLS = Topic(
    "calls",
    key="tracking_number",
    description="Telephony call events from providers, keyed by the called (tracking) number in E.164.",
    event_types=("CallStarted", "CallStatusChanged", "CallRecordingAvailable"),
)
ATTRIBUTED_CALLS = Topic(
    "attributed-calls",
    key="call_id",
    description="Each call joined to the session that held its number; a new version per changed answer.",
    event_types=("CallAttributed",),
)
ATTRIBUTED_CALLS_REPLAY = Topic(
    "attributed-calls-replay",
    key="call_id",
    description=(
        "`ctrack replay` output: attribution recomputed from the log, every version, "
        "each record labelled with its run in the `replay-id` header."
    ),
    event_types=("CallAttributed",),
)
LEASE_HISTORY_BY_NUMBER = Topic(
    "lease-history-by-number",
    key="tracking_number",
    description="Internal: the leases topic re-keyed by number, co-partitioned with calls for the join.",
    internal=True,
    event_types=LEASES.event_types,
)
ATTRIBUTION_BY_CALLER = Topic(
    "attribution-by-caller",
    key="tenant_id:caller_number",
    description=(
        "Internal to attribution: each call's answer from its number's lease history (JSON, not an"
        " event), re-keyed by caller so the second stage sees all of a caller's calls."
    ),
    internal=True,
)
ATTRIBUTION_TICKS = Topic(
    "attribution-ticks",
    key="none (partition chosen)",
    description=(
        "Internal to attribution: wall-clock ticks sent to each join partition, co-partitioned with"
        " calls, so an idle partition's stream time still moves on and waiting calls are answered."
    ),
    internal=True,
)
CONFIG_TENANTS = Topic(
    "config-tenants",
    key="tenant_id",
    description="Tenants and the SHA-256 digests of their API keys.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("TenantConfigured",),
)
CONFIG_SITES = Topic(
    "config-sites",
    key="site_id",
    description="Sites: public site key, business number to forward calls to, pool.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("SiteConfigured",),
)
CONFIG_POOLS = Topic(
    "config-pools",
    key="pool_id",
    description="Number pools of a site with their lease settings and default number.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("PoolConfigured",),
)
CONFIG_NUMBERS = Topic(
    "config-numbers",
    key="number",
    description="Tracking numbers in inventory: owner tenant, site, role and provider.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("NumberConfigured",),
)
CONFIG_STATIC_RULES = Topic(
    "config-static-rules",
    key="rule_id",
    description="Static tracking rules: which visits see which static channel number.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("StaticRuleConfigured",),
)
CONFIG_BLOCK_LIST = Topic(
    "config-block-list",
    key="tenant_id:caller_number",
    description="Caller numbers a tenant blocks (spam, robocalls): such calls are flagged, never sent to a CRM.",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("CallerBlockConfigured",),
)
CONFIG_WEBHOOKS = Topic(
    "config-webhooks",
    key="endpoint_id",
    description="Outbound webhook endpoints per tenant (owned by crm-sync).",
    partitions=CONFIG_PARTITIONS,
    compacted=True,
    event_types=("WebhookEndpointConfigured",),
)
WEBHOOK_DELIVERIES = Topic(
    "webhook-deliveries",
    key="webhook_id",
    description="Internal to crm-sync: the outcome of each webhook delivery, so a restart never resends.",
    compacted=True,
    internal=True,
    event_types=("WebhookDelivered", "WebhookAbandoned"),
)
DEAD_LETTERS = Topic(
    "dead-letters",
    key="source topic",
    description="Records a consumer could not process: original bytes as value, reason in headers.",
    partitions=1,
)

ALL_TOPICS: tuple[Topic, ...] = (
    VISITS,
    LEASES,
    CALLS,
    ATTRIBUTED_CALLS,
    ATTRIBUTED_CALLS_REPLAY,
    LEASE_HISTORY_BY_NUMBER,
    ATTRIBUTION_BY_CALLER,
    ATTRIBUTION_TICKS,
    CONFIG_TENANTS,
    CONFIG_SITES,
    CONFIG_POOLS,
    CONFIG_NUMBERS,
    CONFIG_STATIC_RULES,
    CONFIG_BLOCK_LIST,
    CONFIG_WEBHOOKS,
    WEBHOOK_DELIVERIES,
    DEAD_LETTERS,
)
