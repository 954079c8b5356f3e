"""The tracker's use cases: a page load asks for a number, heartbeats and page views keep it.

`start_visit` screens the request (bots, prefetches, no consent, the per-address caps: those get the
default number and publish nothing), registers its waiter, publishes `VisitStarted` durably on
`visits` (keyed by pool, so the pool's single allocator sees it in order) and waits at most
`number_wait` for the answer on `leases`. Without an answer in time the visitor is shown the default
number for now (status "pending") and gets the real one pushed on the WebSocket or by polling.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    Envelope,
    NumberRevealed,
    NumberRevealedPayload,
    PoolConfiguredPayload,
    SiteConfigured,
    VisitHeartbeat,
    VisitHeartbeatPayload,
    VisitLeft,
    VisitLeftPayload,
    VisitPageViewed,
    VisitPageViewedPayload,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import VISITS
from session_tracker.adapters.addresses import AddressBook
from session_tracker.adapters.lease_board import LeaseBoard
from session_tracker.domain import (
    Caps,
    PageView,
    Shown,
    admit,
    build_snapshot,
    classify,
    default_shown,
    network_of,
    origin_allowed,
    session_id_for,
)
from session_tracker.metrics import FILTERED_VISITS

__all__ = ["Answer", "Client", "ForbiddenOrigin", "Tracker", "UnknownSite"]

SITE_LOOKUP_INTERVAL = 0.05
REMEMBERED_SESSIONS = 100_000
WS_PATH = "/v1/ws"


class UnknownSite(LookupError):
    """No site has this public `site_key`."""

    def __init__(self, site_key: str) -> None:
        super().__init__(f"unknown site_key {site_key!r}")
        self.site_key = site_key


class ForbiddenOrigin(PermissionError):
    """A browser called for a site from a page outside the site's domains."""

    def __init__(self, origin: str) -> None:
        super().__init__(f"origin {origin!r} is not one of the site's domains")
        self.origin = origin


@dataclass(frozen=True)
class Client:
    """Who sent a request: the peer address, its User-Agent header and its headers (lower-case names)."""

    address: str
    user_agent: str | None
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Answer:
    """What the script is told: what the visitor shows, plus the site's display settings."""

    visit_id: str
    session_id: str | None
    shown: Shown
    business_number: str
    replace: tuple[str, ...]
    click_to_reveal: bool
    anti_flicker_ms: int
    heartbeat_seconds: int
    ws_url: str = WS_PATH


class Tracker:
    def __init__(
        self,
        view: ConfigView,
        board: LeaseBoard,
        addresses: AddressBook,
        producer: EventProducer,
        clock: Callable[[], datetime],
        *,
        number_wait: float,
        site_lookup_grace: float,
        caps: Caps,
        heartbeat_seconds: int,
    ) -> None:
        self._view = view
        self._board = board
        self._addresses = addresses
        self._producer = producer
        self._clock = clock
        self._number_wait = number_wait
        self._site_lookup_grace = site_lookup_grace
        self._caps = caps
        self._heartbeat_seconds = heartbeat_seconds
        # the session of each recent visit here, for page views that do not name it (a tab's socket)
        self._sessions: OrderedDict[str, str] = OrderedDict()

    async def site(self, site_key: str, origin: str | None = None) -> SiteConfigured:
        """The site of `site_key` if `origin` may call for it; a key not known yet is looked up again
        briefly (a site created a moment ago may still be on its way through the config topic)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._site_lookup_grace
        while (site := self._view.site_by_key(site_key)) is None:
            if loop.time() >= deadline:
                raise UnknownSite(site_key)
            await asyncio.sleep(SITE_LOOKUP_INTERVAL)
        if not origin_allowed(site.payload.domains, origin):
            raise ForbiddenOrigin(origin or "")
        return site

    def pool(self, site: SiteConfigured) -> PoolConfiguredPayload | None:
        pool = self._view.pools.get(site.payload.pool_id)
        return pool.payload if pool is not None else None

    def answer(self, site: SiteConfigured, visit_id: str, session_id: str | None, shown: Shown) -> Answer:
        display = site.payload.display
        pool = self.pool(site)
        # at least three beats per lease, so one lost beat never ends a lease
        beat = (
            self._heartbeat_seconds
            if pool is None
            else min(self._heartbeat_seconds, max(1, pool.lease_seconds // 3))
        )
        return Answer(
            visit_id=visit_id,
            session_id=session_id,
            shown=shown,
            business_number=site.payload.business_number,
            replace=display.numbers_to_replace or (site.payload.business_number,),
            click_to_reveal=display.click_to_reveal,
            anti_flicker_ms=display.anti_flicker_ms,
            heartbeat_seconds=beat,
        )

    def current(self, site: SiteConfigured, visitor_id: str) -> Shown:
        """What the visitor shows as last seen on `leases` (or as last answered here)."""
        shown = self._board.shown(site.payload.pool_id, visitor_id)
        return shown if shown is not None else default_shown(self.pool(site), "pending", "waiting")

    async def _publish(self, site: SiteConfigured, event: Envelope) -> None:
        await self._producer.publish_durably(VISITS, site.payload.pool_id, event)

    def _screen(self, site: SiteConfigured, visitor_id: str, page: PageView, client: Client) -> str | None:
        """Why this visit gets no pool number (counted), or None; admits the visitor under the caps."""
        reason = classify((client.user_agent, page.user_agent), client.headers)
        if reason is None:
            pool_id, now = site.payload.pool_id, self._clock()
            # an admitted visitor whose answer has not arrived yet still counts, for a while
            in_flight = timedelta(seconds=self._number_wait * 2)

            def holding(other: str, admitted_at: datetime) -> bool:
                shown = self._board.shown(pool_id, other)
                return now - admitted_at < in_flight if shown is None else shown.holds_pool_number

            own = self._board.shown(pool_id, visitor_id)
            address_key = f"{pool_id}|{client.address}"
            network_key = f"{pool_id}|{network_of(client.address)}"
            reason = admit(
                already_holding=own is not None and own.holds_pool_number,
                address_holders=self._addresses.holders(address_key, visitor_id, holding),
                network_holders=self._addresses.holders(network_key, visitor_id, holding),
                caps=self._caps,
            )
            if reason is None:
                self._addresses.admit(address_key, visitor_id, now)
                self._addresses.admit(network_key, visitor_id, now)
        if reason is not None:
            FILTERED_VISITS.labels(reason).inc()
        return reason

    async def start_visit(
        self,
        site: SiteConfigured,
        visitor_id: str,
        visit_id: str | None,
        page: PageView,
        client: Client,
        *,
        consent: bool,
    ) -> Answer:
        visit_id = visit_id or uuid.uuid4().hex
        session_id = page.session_id or session_id_for(visitor_id, page.url)
        page = replace(page, session_id=session_id)
        self._sessions[visit_id] = session_id
        if len(self._sessions) > REMEMBERED_SESSIONS:
            self._sessions.popitem(last=False)
        pool, pool_id = self.pool(site), site.payload.pool_id
        if site.payload.display.consent_required and not consent:
            return self.answer(site, visit_id, session_id, default_shown(pool, "default", "consent_required"))
        if (reason := self._screen(site, visitor_id, page, client)) is not None:
            shown = default_shown(pool, "default", reason)
            self._board.note(pool_id, visitor_id, shown)
            return self.answer(site, visit_id, session_id, shown)
        now = self._clock()
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
        waiting = self._board.expect(visit_id)
        try:
            await self._publish(site, event)
            shown = await asyncio.wait_for(asyncio.shield(waiting), self._number_wait)
        except TimeoutError:
            shown = default_shown(pool, "pending", "waiting")
        finally:
            self._board.forget(visit_id, waiting)
        return self.answer(site, visit_id, session_id, shown)

    async def heartbeat(
        self, site: SiteConfigured, visitor_id: str, visit_id: str, client: Client, *, active: bool
    ) -> Answer:
        """Publish the heartbeat (not for bots); answer with what the visitor shows now."""
        if classify((client.user_agent,), {}) is not None:
            return self.answer(site, visit_id, None, default_shown(self.pool(site), "default", "bot"))
        now = self._clock()
        event = VisitHeartbeat(
            event_id=event_id_for("VisitHeartbeat", site.site_id, visit_id, now.isoformat()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitHeartbeatPayload(
                visit_id=visit_id, visitor_id=visitor_id, pool_id=site.payload.pool_id, active=active
            ),
        )
        await self._publish(site, event)
        return self.answer(site, visit_id, None, self.current(site, visitor_id))

    async def page_viewed(
        self, site: SiteConfigured, visitor_id: str, visit_id: str, page: PageView, client: Client
    ) -> Answer:
        """An SPA route change: publish `VisitPageViewed` with the updated snapshot (not for bots)."""
        session_id = page.session_id or self._sessions.get(visit_id) or session_id_for(visitor_id, page.url)
        if classify((client.user_agent,), client.headers) is not None:
            return self.answer(site, visit_id, session_id, default_shown(self.pool(site), "default", "bot"))
        now = self._clock()
        page = replace(page, session_id=session_id, user_agent=page.user_agent or client.user_agent)
        event = VisitPageViewed(
            event_id=event_id_for("VisitPageViewed", site.site_id, visit_id, page.url, now.isoformat()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitPageViewedPayload(
                visit_id=visit_id,
                visitor_id=visitor_id,
                pool_id=site.payload.pool_id,
                page_url=page.url,
                session=build_snapshot(page),
            ),
        )
        await self._publish(site, event)
        return self.answer(site, visit_id, session_id, self.current(site, visitor_id))

    async def leave(self, site: SiteConfigured, visitor_id: str, visit_id: str) -> None:
        """Publish that the visitor left (the last tab of the site closed); the allocator ends the lease
        only if it was granted before this visit's leave, so a late beacon cannot end a newer lease."""
        event = VisitLeft(
            event_id=event_id_for("VisitLeft", site.site_id, visit_id),
            occurred_at=(now := self._clock()),
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=VisitLeftPayload(visit_id=visit_id, visitor_id=visitor_id, pool_id=site.payload.pool_id),
        )
        await self._publish(site, event)

    async def reveal(
        self, site: SiteConfigured, visitor_id: str, visit_id: str, number: str, session_id: str | None
    ) -> None:
        """Publish that the visitor clicked to reveal `number` (click-to-reveal sites)."""
        event = NumberRevealed(
            event_id=event_id_for("NumberRevealed", site.site_id, visit_id, number),
            occurred_at=(now := self._clock()),
            recorded_at=now,
            tenant_id=site.tenant_id,
            site_id=site.site_id,
            payload=NumberRevealedPayload(
                visit_id=visit_id,
                visitor_id=visitor_id,
                pool_id=site.payload.pool_id,
                number=number,
                session_id=session_id,
            ),
        )
        await self._publish(site, event)
