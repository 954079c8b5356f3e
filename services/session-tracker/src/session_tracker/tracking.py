"""The tracker's use cases: a page view asks for a number, a heartbeat keeps it.

`start_visit` registers its waiter, publishes `VisitStarted` durably on `visits` (keyed by pool,
so the pool's single allocator sees it in order) and waits at most `number_wait` for the answer on
`leases`. Without an answer in time the visitor is shown the site's default number for now and
the script asks again later (status "pending").
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    LeaseDenied,
    LeaseGranted,
    SiteConfigured,
    VisitHeartbeat,
    VisitHeartbeatPayload,
    VisitLeft,
    VisitLeftPayload,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import VISITS
from session_tracker.adapters.lease_board import LeaseBoard
from session_tracker.domain import PageView, build_snapshot

__all__ = ["NumberShown", "Tracker", "UnknownSite"]

SITE_LOOKUP_INTERVAL = 0.05


class UnknownSite(LookupError):
    """No site has this public `site_key`."""

    def __init__(self, site_key: str) -> None:
        super().__init__(f"unknown site_key {site_key!r}")
        self.site_key = site_key


@dataclass(frozen=True)
class NumberShown:
    """What the browser shows: a leased number, the default number, or nothing yet."""

    visit_id: str
    status: str  # granted | renewed | default | pending
    number: str | None
    lease_id: str | None = None
    expires_at: datetime | None = None
    business_number: str | None = None


class Tracker:
    def __init__(
        self,
        view: ConfigView,
        board: LeaseBoard,
        producer: EventProducer,
        clock: Callable[[], datetime],
        *,
        number_wait: float,
        site_lookup_grace: float,
    ) -> None:
        self._view = view
        self._board = board
        self._producer = producer
        self._clock = clock
        self._number_wait = number_wait
        self._site_lookup_grace = site_lookup_grace

    async def site(self, site_key: str) -> SiteConfigured:
        """The site of `site_key`; a key not known yet is looked up again briefly (a site created a
        moment ago may still be on its way through the config topic)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._site_lookup_grace
        while (site := self._view.site_by_key(site_key)) is None:
            if loop.time() >= deadline:
                raise UnknownSite(site_key)
            await asyncio.sleep(SITE_LOOKUP_INTERVAL)
        return site

    def _default_number(self, site: SiteConfigured) -> str | None:
        pool = self._view.pools.get(site.payload.pool_id)
        return pool.payload.default_number if pool is not None else None

    async def start_visit(
        self, site: SiteConfigured, visitor_id: str, visit_id: str | None, page: PageView
    ) -> NumberShown:
        visit_id = visit_id or uuid.uuid4().hex
        now = self._clock()
        pool_id = site.payload.pool_id
        event = VisitStarted(
            event_id=event_id_for("VisitStarted", site.site_id, visit_id),
            occurred_at=now,
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitStartedPayload(
                visit_id=visit_id,
                visitor_id=visitor_id,
                pool_id=pool_id,
                page_url=page.url,
                session=build_snapshot(page),
            ),
        )
        answer = self._board.expect(visit_id)
        try:
            await asyncio.to_thread(self._producer.publish, VISITS, pool_id, event, wait=True)
            decided = await asyncio.wait_for(asyncio.shield(answer), self._number_wait)
        except TimeoutError:
            return NumberShown(
                visit_id, "pending", self._default_number(site), business_number=site.payload.business_number
            )
        finally:
            self._board.forget(visit_id, answer)
        if isinstance(decided, LeaseDenied):
            return NumberShown(
                visit_id,
                "default",
                decided.payload.default_number or self._default_number(site),
                business_number=site.payload.business_number,
            )
        return NumberShown(
            visit_id,
            "granted" if isinstance(decided, LeaseGranted) else "renewed",
            decided.payload.number,
            decided.payload.lease_id,
            decided.payload.expires_at,
            site.payload.business_number,
        )

    async def heartbeat(self, site: SiteConfigured, visitor_id: str, visit_id: str) -> NumberShown:
        """Publish the heartbeat; answer with the visitor's lease as last seen (the renewal follows)."""
        now = self._clock()
        pool_id = site.payload.pool_id
        event = VisitHeartbeat(
            event_id=event_id_for("VisitHeartbeat", site.site_id, visit_id, now.isoformat()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitHeartbeatPayload(visit_id=visit_id, visitor_id=visitor_id, pool_id=pool_id),
        )
        await asyncio.to_thread(self._producer.publish, VISITS, pool_id, event, wait=True)
        lease = self._board.current_lease(visitor_id, pool_id)
        if lease is None:
            return NumberShown(visit_id, "accepted", None, business_number=site.payload.business_number)
        return NumberShown(
            visit_id,
            "accepted",
            lease.payload.number,
            lease.payload.lease_id,
            lease.payload.expires_at,
            site.payload.business_number,
        )

    async def leave(self, site: SiteConfigured, visitor_id: str, visit_id: str) -> None:
        """Publish that the visitor left (the last tab of the site closed); the allocator ends the lease
        only if it was granted before this visit's leave, so a late beacon cannot end a newer lease."""
        now = self._clock()
        pool_id = site.payload.pool_id
        event = VisitLeft(
            event_id=event_id_for("VisitLeft", site.site_id, visit_id),
            occurred_at=now,
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitLeftPayload(visit_id=visit_id, visitor_id=visitor_id, pool_id=pool_id),
        )
        await asyncio.to_thread(self._producer.publish, VISITS, pool_id, event, wait=True)
