"""The read model of platform configuration, folded from the compacted config topics.

Every service keeps its own copy (no request path waits on another
service). The latest event per entity is that entity's state.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from ctrack_common.events import (
    CallerBlockConfigured,
    Envelope,
    NumberConfigured,
    NumberRole,
    PoolConfigured,
    SiteConfigured,
    TenantConfigured,
    WebhookEndpointConfigured,
)

__all__ = ["ConfigView", "api_key_digest"]


def api_key_digest(api_key: str) -> str:
    """How API keys are stored and compared: hex SHA-256 (keys are long random strings)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass
class ConfigView:
    """Tenants, sites, pools, numbers and webhook endpoints, indexed the ways services look them up."""

    tenants: dict[str, TenantConfigured] = field(default_factory=dict)
    sites: dict[str, SiteConfigured] = field(default_factory=dict)
    pools: dict[str, PoolConfigured] = field(default_factory=dict)
    numbers: dict[str, NumberConfigured] = field(default_factory=dict)
    webhooks: dict[str, WebhookEndpointConfigured] = field(default_factory=dict)
    block_list: dict[tuple[str, str], CallerBlockConfigured] = field(default_factory=dict)
    _tenant_by_digest: dict[str, str] = field(default_factory=dict)
    _site_by_key: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, event: Envelope) -> None:
        with self._lock:
            match event:
                case TenantConfigured():
                    previous = self.tenants.get(event.tenant_id)
                    if previous is not None:
                        for digest in previous.payload.api_key_sha256:
                            self._tenant_by_digest.pop(digest, None)
                    self.tenants[event.tenant_id] = event
                    if event.payload.active:
                        for digest in event.payload.api_key_sha256:
                            self._tenant_by_digest[digest] = event.tenant_id
                case SiteConfigured(site_id=str(site_id)):
                    self.sites[site_id] = event
                    self._site_by_key[event.payload.site_key] = site_id
                case PoolConfigured():
                    self.pools[event.payload.pool_id] = event
                case NumberConfigured():
                    self.numbers[event.payload.number] = event
                case WebhookEndpointConfigured():
                    self.webhooks[event.payload.endpoint_id] = event
                case CallerBlockConfigured():
                    key = (event.tenant_id, event.payload.caller_number)
                    current = self.block_list.get(key)
                    # Never step back in time: a writer's own read-back of an older change of the
                    # same entry (block, then unblock a moment later) must not undo the newer one.
                    if current is None or event.occurred_at >= current.occurred_at:
                        self.block_list[key] = event

    def tenant_for_api_key(self, api_key: str) -> str | None:
        return self._tenant_by_digest.get(api_key_digest(api_key))

    def site_by_key(self, site_key: str) -> SiteConfigured | None:
        site_id = self._site_by_key.get(site_key)
        return self.sites.get(site_id) if site_id else None

    def site(self, tenant_id: str, site_id: str) -> SiteConfigured | None:
        site = self.sites.get(site_id)
        return site if site is not None and site.tenant_id == tenant_id else None

    def number(self, number: str) -> NumberConfigured | None:
        found = self.numbers.get(number)
        return found if found is not None and found.payload.active else None

    def pool_numbers(self, pool_id: str) -> list[str]:
        with self._lock:  # iterating while the follower thread inserts would raise
            return sorted(
                n.payload.number
                for n in self.numbers.values()
                if n.payload.active and n.payload.role is NumberRole.POOL and n.payload.pool_id == pool_id
            )

    def blocked_caller(self, tenant_id: str, caller_number: str) -> CallerBlockConfigured | None:
        """The tenant's active block of `caller_number` (E.164), if any."""
        entry = self.block_list.get((tenant_id, caller_number))
        return entry if entry is not None and entry.payload.active else None

    def blocked_callers(self, tenant_id: str) -> list[CallerBlockConfigured]:
        """The tenant's active block list entries, by caller number."""
        with self._lock:
            entries = [e for (tenant, _), e in self.block_list.items() if tenant == tenant_id]
        return sorted((e for e in entries if e.payload.active), key=lambda e: e.payload.caller_number)

    def webhook_endpoints(self, tenant_id: str) -> list[WebhookEndpointConfigured]:
        with self._lock:
            return [w for w in self.webhooks.values() if w.tenant_id == tenant_id and w.payload.active]
