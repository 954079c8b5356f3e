"""The admin use cases, in the domain's words: tenants and keys, sites and their pools, the number inventory.

Each change becomes a configuration event published durably on its compacted topic (the latest
event per entity is the entity); reads come from the config read model. Ids, keys and timestamps
are made here, at the edge, so the events themselves are plain facts.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from ctrack_common.config_view import api_key_digest
from ctrack_common.events import (
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    Payload,
    PoolConfigured,
    PoolConfiguredPayload,
    SiteConfigured,
    SiteConfiguredPayload,
    StaticRuleConfigured,
    StaticRuleConfiguredPayload,
    StaticRuleMatch,
    TenantConfigured,
    TenantConfiguredPayload,
    event_id_for,
    to_millis,
)
from number_allocator.adapters.config_store import ConfigEvent, ConfigStore
from number_allocator.adapters.pool_policies import PolicyDefaults
from number_allocator.errors import Conflict, InvalidInput, NotFound

__all__ = ["Inventory", "NewApiKey", "key_id_of"]

E = TypeVar("E", bound=ConfigEvent)

# The pool field each special number role fills: the number shown when no pool number is.
ROLE_FIELDS: dict[NumberRole, str] = {
    NumberRole.DEFAULT: "default_number",
    NumberRole.DEFAULT_BEFORE_DISPLAY: "default_before_display_number",
    NumberRole.DEFAULT_AFTER_RECLAIM: "default_after_reclaim_number",
    NumberRole.OVERFLOW: "overflow_number",
}
NUMBER_FIELDS = tuple(ROLE_FIELDS.values())

API_KEY_PREFIX = "ck_live_"
KEY_ID_LENGTH = 12


def key_id_of(digest: str) -> str:
    """The public handle of an API key (a prefix of its digest), used to revoke it."""
    return digest[:KEY_ID_LENGTH]


class NewApiKey:
    """A freshly made API key: the secret is shown to the caller once, only its digest is stored."""

    def __init__(self) -> None:
        self.secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        self.digest = api_key_digest(self.secret)
        self.key_id = key_id_of(self.digest)


class Inventory:
    """Admin use cases over the config store; every write is durable before it returns."""

    def __init__(
        self,
        store: ConfigStore,
        default_lease_seconds: int,
        clock: Callable[[], datetime],
        *,
        pool_defaults: PolicyDefaults | None = None,
        quarantine_seconds: int = 7 * 24 * 3600,
    ) -> None:
        self._store = store
        self._view = store.view
        self._default_lease_seconds = default_lease_seconds
        self._clock = clock
        self._pool_defaults = pool_defaults or PolicyDefaults()
        self._quarantine_seconds = quarantine_seconds

    def _event(self, cls: type[E], tenant_id: str, site_id: str | None, entity: str, payload: Payload) -> E:
        now = to_millis(self._clock())
        return cls(
            event_id=event_id_for(cls.__name__, entity, now.isoformat(), payload.model_dump_json()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            site_id=site_id,
            payload=payload,
        )

    # --- tenants (platform admin) ---------------------------------------------------------------

    def create_tenant(self, name: str) -> tuple[TenantConfigured, NewApiKey]:
        tenant_id = f"ten_{uuid.uuid4().hex}"
        key = NewApiKey()
        event = self._event(
            TenantConfigured,
            tenant_id,
            None,
            tenant_id,
            TenantConfiguredPayload(name=name, api_key_sha256=(key.digest,)),
        )
        self._store.publish([event])
        return event, key

    def _tenant(self, tenant_id: str) -> TenantConfigured:
        tenant = self._view.tenants.get(tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant {tenant_id!r}", "tenant_id")
        return tenant

    def add_api_key(self, tenant_id: str) -> NewApiKey:
        key = NewApiKey()
        with self._store.writing():
            tenant = self._tenant(tenant_id)
            digests = (*tenant.payload.api_key_sha256, key.digest)
            payload = tenant.payload.model_copy(update={"api_key_sha256": digests})
            self._store.publish([self._event(TenantConfigured, tenant_id, None, tenant_id, payload)])
        return key

    def revoke_api_key(self, tenant_id: str, key_id: str) -> None:
        with self._store.writing():
            tenant = self._tenant(tenant_id)
            kept = tuple(d for d in tenant.payload.api_key_sha256 if key_id_of(d) != key_id)
            if len(kept) == len(tenant.payload.api_key_sha256):
                raise NotFound(f"tenant {tenant_id!r} has no API key {key_id!r}", "key_id")
            payload = tenant.payload.model_copy(update={"api_key_sha256": kept})
            self._store.publish([self._event(TenantConfigured, tenant_id, None, tenant_id, payload)])

    # --- sites and pools ------------------------------------------------------------------------

    def create_site(
        self, tenant_id: str, name: str, business_number: str, domains: tuple[str, ...]
    ) -> tuple[SiteConfigured, PoolConfigured]:
        site_id, pool_id = f"site_{uuid.uuid4().hex}", f"pool_{uuid.uuid4().hex}"
        site_key = f"pk_{secrets.token_urlsafe(18)}"
        pool = self._event(
            PoolConfigured,
            tenant_id,
            site_id,
            pool_id,
            PoolConfiguredPayload(
                pool_id=pool_id,
                lease_seconds=self._default_lease_seconds,
                hold_seconds=self._pool_defaults.hold_seconds,
                quarantine_seconds=self._quarantine_seconds,
                display_delay_seconds=self._pool_defaults.display_delay_seconds,
                idle_reclaim_seconds=self._pool_defaults.idle_reclaim_seconds,
            ),
        )
        site = self._event(
            SiteConfigured,
            tenant_id,
            site_id,
            site_id,
            SiteConfiguredPayload(
                name=name,
                site_key=site_key,
                business_number=business_number,
                pool_id=pool_id,
                domains=domains,
            ),
        )
        # The pool first: whoever sees the site can already resolve its pool.
        self._store.publish([pool, site])
        return site, pool

    def sites(self, tenant_id: str) -> list[SiteConfigured]:
        return sorted(
            (s for s in list(self._view.sites.values()) if s.tenant_id == tenant_id),
            key=lambda s: str(s.site_id),
        )

    def site(self, tenant_id: str, site_id: str) -> SiteConfigured:
        site = self._view.site(tenant_id, site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}", "site_id")
        return site

    def pool_of(self, site: SiteConfigured) -> PoolConfigured:
        pool = self._view.pools.get(site.payload.pool_id)
        if pool is None:  # published together with the site, so only a damaged config topic lacks it
            raise NotFound(f"site {site.site_id!r} has no pool configured", "site_id")
        return pool

    def configure_pool(self, tenant_id: str, site_id: str, changes: dict[str, object]) -> PoolConfigured:
        """Apply `changes` (lease length, timers, default and overflow numbers) to the site's pool; absent
        keys stay as they are."""
        with self._store.writing():
            site = self.site(tenant_id, site_id)
            pool = self.pool_of(site)
            for name in NUMBER_FIELDS:
                number = changes.get(name)
                if isinstance(number, str):
                    self._check_not_foreign(tenant_id, number, name)
            payload = PoolConfiguredPayload.model_validate({**pool.payload.model_dump(), **changes})
            if payload == pool.payload:
                return pool
            event = self._event(PoolConfigured, tenant_id, site_id, payload.pool_id, payload)
            self._store.publish([event])
            return event

    # --- numbers --------------------------------------------------------------------------------

    def _check_not_foreign(self, tenant_id: str, number: str, field: str) -> None:
        owned = self._view.number(number)
        if owned is not None and owned.tenant_id != tenant_id:
            raise Conflict(f"{number} is in another account's inventory", field)

    def add_static_number(
        self,
        tenant_id: str,
        *,
        number: str,
        provider: str,
        channel: str,
        site_id: str | None,
        label: str | None,
    ) -> NumberConfigured:
        """Make `number` a static channel number: shown to visits a static rule of its site matches, or,
        with no rule, published offline (print, radio, outdoor), labelled with its `channel`. It leaves
        the pool it was in, and stops being a pool's special number."""
        with self._store.writing():
            if site_id is not None:
                self.site(tenant_id, site_id)
            self._check_not_foreign(tenant_id, number, "number")
            current = self._view.numbers.get(number)
            configured = self._event(
                NumberConfigured,
                tenant_id,
                site_id,
                number,
                NumberConfiguredPayload(
                    number=number,
                    provider=provider,
                    role=NumberRole.STATIC,
                    label=label,
                    site_id=site_id,
                    channel=channel,
                ),
            )
            events: list[ConfigEvent] = [configured]
            if current is not None and current.payload.pool_id is not None:
                events.extend(self._unassigned(number, current.payload.pool_id))
            self._store.publish(events)
            return configured

    def add_number(
        self, tenant_id: str, *, number: str, provider: str, role: NumberRole, site_id: str, label: str | None
    ) -> NumberConfigured:
        """Put `number` in the site's pool (role pool) or make it one of the site's special numbers (default,
        default before display, default after reclaim, overflow). A number moved here from another pool
        sits in quarantine (the new pool's quarantine time) before any visitor can get it."""
        with self._store.writing():
            site = self.site(tenant_id, site_id)
            pool = self.pool_of(site)
            self._check_not_foreign(tenant_id, number, "number")
            current = self._view.numbers.get(number)
            pool_id = pool.payload.pool_id
            available_from = current.payload.available_from if current is not None else None
            if current is not None and current.payload.pool_id not in (None, pool_id):
                quarantine = pool.payload.quarantine_seconds
                seconds = self._quarantine_seconds if quarantine is None else quarantine
                available_from = to_millis(self._clock()) + timedelta(seconds=seconds) if seconds else None
            configured = self._event(
                NumberConfigured,
                tenant_id,
                site_id,
                number,
                NumberConfiguredPayload(
                    number=number,
                    provider=provider,
                    role=role,
                    pool_id=pool_id,
                    label=label,
                    available_from=available_from,
                ),
            )
            events: list[ConfigEvent] = [configured]
            if current is not None and current.payload.pool_id not in (None, pool_id):
                events.extend(self._unassigned(number, current.payload.pool_id or ""))
            updates: dict[str, object] = {
                name: None for name in NUMBER_FIELDS if getattr(pool.payload, name) == number
            }
            if role in ROLE_FIELDS:
                updates[ROLE_FIELDS[role]] = number
            payload = pool.payload.model_copy(update=updates)
            if payload != pool.payload:
                events.append(self._event(PoolConfigured, tenant_id, site_id, payload.pool_id, payload))
            self._store.publish(events)
            return configured

    def _unassigned(self, number: str, pool_id: str) -> list[ConfigEvent]:
        """The change of pool `pool_id` that stops showing `number` as one of its special numbers."""
        pool = self._view.pools.get(pool_id)
        if pool is None:
            return []
        updates = {name: None for name in NUMBER_FIELDS if getattr(pool.payload, name) == number}
        if not updates:
            return []
        payload = pool.payload.model_copy(update=updates)
        return [self._event(PoolConfigured, pool.tenant_id, pool.site_id, payload.pool_id, payload)]

    def numbers(self, tenant_id: str) -> list[NumberConfigured]:
        return sorted(
            (n for n in list(self._view.numbers.values()) if n.tenant_id == tenant_id),
            key=lambda n: n.payload.number,
        )

    def retire_number(self, tenant_id: str, number: str) -> NumberConfigured:
        """Take `number` out of service (`active` false); a pool showing it as a default or overflow number
        stops doing so."""
        with self._store.writing():
            current = self._view.numbers.get(number)
            if current is None or current.tenant_id != tenant_id:
                raise NotFound(f"no number {number!r}", "number")
            if not current.payload.active:
                return current
            payload = current.payload.model_copy(update={"active": False})
            retired = self._event(NumberConfigured, tenant_id, current.site_id, number, payload)
            events: list[ConfigEvent] = [retired, *self._unassigned(number, payload.pool_id or "")]
            self._store.publish(events)
            return retired

    # --- static tracking rules -------------------------------------------------------------------

    def put_static_rule(
        self,
        tenant_id: str,
        site_id: str,
        rule_id: str,
        *,
        number: str,
        match: StaticRuleMatch,
        priority: int,
    ) -> StaticRuleConfigured:
        """Create or replace rule `rule_id` of the site: visits that match show the static `number`."""
        if not match.model_dump(exclude_none=True):
            raise InvalidInput("a rule needs at least one match field", "match")
        with self._store.writing():
            self.site(tenant_id, site_id)
            configured = self._view.number(number)
            if configured is None or configured.tenant_id != tenant_id:
                raise NotFound(f"no number {number!r} in this account's inventory", "number")
            if configured.payload.role is not NumberRole.STATIC:
                raise Conflict(f"{number} is a {configured.payload.role} number, not a static one", "number")
            if configured.payload.site_id not in (None, site_id):
                raise Conflict(f"{number} is a static number of another site", "number")
            payload = StaticRuleConfiguredPayload(
                rule_id=rule_id, site_id=site_id, number=number, match=match, priority=priority
            )
            current = self._store.static_rule(site_id, rule_id)
            if current is not None and current.payload == payload:
                return current
            event = self._event(StaticRuleConfigured, tenant_id, site_id, f"{site_id}:{rule_id}", payload)
            self._store.publish([event])
            return event

    def static_rules(self, tenant_id: str, site_id: str) -> list[StaticRuleConfigured]:
        """The site's active rules, by rule id."""
        self.site(tenant_id, site_id)
        return [r for r in self._store.static_rules(site_id) if r.payload.active]

    def static_rule(self, tenant_id: str, site_id: str, rule_id: str) -> StaticRuleConfigured:
        self.site(tenant_id, site_id)
        rule = self._store.static_rule(site_id, rule_id)
        if rule is None or not rule.payload.active:
            raise NotFound(f"site {site_id!r} has no static rule {rule_id!r}", "rule_id")
        return rule

    def retire_static_rule(self, tenant_id: str, site_id: str, rule_id: str) -> StaticRuleConfigured:
        with self._store.writing():
            rule = self.static_rule(tenant_id, site_id, rule_id)
            payload = rule.payload.model_copy(update={"active": False})
            retired = self._event(StaticRuleConfigured, tenant_id, site_id, f"{site_id}:{rule_id}", payload)
            self._store.publish([retired])
            return retired
