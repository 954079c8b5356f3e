"""The config read model with read-your-writes for the changes this process publishes.

Static tracking rules are kept here, by site, next to the shared `ConfigView`: only the allocator
reads them (it answers the visits they match).

The `ConfigView` is fed by a `LogFollower` over the config topics. A change made through the admin
API is published durably and then applied to the view at once, so the next request sees it. Until
the follower reaches that very event, older events of the same entity coming from the log are
skipped: otherwise the view would briefly step back to a state the caller already changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    Envelope,
    NumberConfigured,
    PoolConfigured,
    SiteConfigured,
    StaticRuleConfigured,
    TenantConfigured,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import (
    CONFIG_NUMBERS,
    CONFIG_POOLS,
    CONFIG_SITES,
    CONFIG_STATIC_RULES,
    CONFIG_TENANTS,
    Topic,
)

__all__ = ["ConfigEvent", "ConfigStore"]

ConfigEvent = TenantConfigured | SiteConfigured | PoolConfigured | NumberConfigured | StaticRuleConfigured


def _entity(event: Envelope) -> tuple[Topic, str]:
    """The topic a config event is published on and its key (the entity it describes)."""
    match event:
        case TenantConfigured():
            return CONFIG_TENANTS, event.tenant_id
        case SiteConfigured(site_id=str(site_id)):
            return CONFIG_SITES, site_id
        case PoolConfigured():
            return CONFIG_POOLS, event.payload.pool_id
        case NumberConfigured():
            return CONFIG_NUMBERS, event.payload.number
        case StaticRuleConfigured():  # rule ids are chosen per site
            return CONFIG_STATIC_RULES, f"{event.payload.site_id}:{event.payload.rule_id}"
    raise ValueError(f"{event.event_type} is not a configuration event of this service")


class ConfigStore:
    """Reads from the view; writes publish durably (`wait=True`) and then apply locally."""

    def __init__(self, view: ConfigView, producer: EventProducer) -> None:
        self.view = view
        self._producer = producer
        self._pending: dict[tuple[str, str], UUID] = {}
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._rules: dict[str, dict[str, StaticRuleConfigured]] = {}  # site id -> rule id -> rule

    def static_rules(self, site_id: str) -> list[StaticRuleConfigured]:
        """The site's static rules (retired ones included), by rule id."""
        return sorted(self._rules.get(site_id, {}).values(), key=lambda r: r.payload.rule_id)

    def static_rule(self, site_id: str, rule_id: str) -> StaticRuleConfigured | None:
        return self._rules.get(site_id, {}).get(rule_id)

    def _apply(self, event: Envelope) -> None:
        if isinstance(event, StaticRuleConfigured):
            rules = dict(self._rules.get(event.payload.site_id, {}))
            rules[event.payload.rule_id] = event
            self._rules[event.payload.site_id] = rules  # swapped whole: readers never see it half-changed
        else:
            self.view.apply(event)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialises read-modify-write sections of admin requests (e.g. appending an API key)."""
        with self._write_lock:
            yield

    def publish(self, events: Sequence[ConfigEvent]) -> None:
        """Make `events` durable on their config topics, then visible to this process's reads.

        The pending marks are set before publishing: the follower may read the events back
        before `flush` returns, and it must then find (and clear) the mark.
        """
        keyed = [(_entity(event), event) for event in events]
        with self._pending_lock:
            for (topic, key), event in keyed:
                self._pending[(topic.name, key)] = event.event_id
        try:
            for (topic, key), event in keyed:
                self._producer.publish(topic, key, event)
            self._producer.flush()
        except Exception:
            with self._pending_lock:
                for (topic, key), event in keyed:
                    if self._pending.get((topic.name, key)) == event.event_id:
                        del self._pending[(topic.name, key)]
            raise
        for _, event in keyed:
            self._apply(event)

    def apply_from_log(self, event: Envelope) -> None:
        """The `LogFollower` callback: apply unless a newer local write of the same entity is in flight."""
        if not isinstance(event, ConfigEvent):
            self._apply(event)
            return
        topic, entity = _entity(event)
        with self._pending_lock:
            awaited = self._pending.get((topic.name, entity))
            if awaited is not None:
                if awaited == event.event_id:
                    del self._pending[(topic.name, entity)]
                return
            self._apply(event)
