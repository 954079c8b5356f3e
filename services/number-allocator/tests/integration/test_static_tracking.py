"""Static tracking and page views on the real broker: the rules API, static answers to matching visits,
and a page view renewing a lease with the session's new snapshot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from ctrack_common.events import (
    Envelope,
    LeaseGranted,
    LeaseRenewed,
    NumberRevealed,
    NumberRevealedPayload,
    SessionSnapshot,
    StaticNumberAssigned,
    StaticRuleConfigured,
    VisitPageViewed,
    VisitPageViewedPayload,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
    to_millis,
)
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.topics import CONFIG_STATIC_RULES, DEAD_LETTERS, LEASES, VISITS
from ctrack_stack.testing import wait_until

if TYPE_CHECKING:
    from conftest import Admin


def _dead_letter_values(bootstrap: str) -> bytes:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-{uuid.uuid4()}"})
    try:
        partition = TopicPartition(DEAD_LETTERS.name, 0, OFFSET_BEGINNING)
        _, high = consumer.get_watermark_offsets(partition, timeout=10)
        consumer.assign([partition])
        values, position = [], 0
        while position < high:
            for msg in consumer.consume(500, timeout=5):
                position = (msg.offset() or 0) + 1
                values.append(msg.value() or b"")
        return b"".join(values)
    finally:
        consumer.close()


def _static(admin: Admin, auth: dict[str, str], channel: str, site_id: str | None = None) -> str:
    [number] = admin.numbers(1)
    body = {"number": number, "provider": "twilio", "role": "static", "channel": channel, "site_id": site_id}
    added = httpx.post(f"{admin.url}/v1/numbers", json=body, headers=auth)
    assert added.status_code == 201, added.text
    assert (added.json()["role"], added.json()["channel"], added.json()["pool_id"]) == (
        "static",
        channel,
        None,
    )
    return number


def test_static_numbers_and_rules_are_validated_listed_by_page_and_deleted(admin: Admin) -> None:
    _, auth = admin.tenant()
    site_id = str(admin.site(auth)["site_id"])
    [pool_number] = admin.add_numbers(auth, site_id, 1)
    [number] = admin.numbers(1)
    no_channel = httpx.post(
        f"{admin.url}/v1/numbers",
        json={"number": number, "provider": "twilio", "role": "static"},
        headers=auth,
    )
    assert (no_channel.status_code, no_channel.json()["field"]) == (422, "channel")
    print_ad = _static(admin, auth, "print")  # offline: no site, no rule
    listed = httpx.get(f"{admin.url}/v1/numbers", headers=auth).json()["items"]
    assert {n["number"]: n["channel"] for n in listed} == {pool_number: None, print_ad: "print"}
    radio = _static(admin, auth, "radio", site_id)
    rules = f"{admin.url}/v1/sites/{site_id}/static-rules"
    empty = httpx.put(f"{rules}/r1", json={"number": radio, "match": {}}, headers=auth)
    assert (empty.status_code, empty.json()["field"]) == (422, "match")
    pooled = httpx.put(
        f"{rules}/r1", json={"number": pool_number, "match": {"utm_source": "fm"}}, headers=auth
    )
    assert (pooled.status_code, pooled.json()["field"]) == (409, "number")
    for rule_id, source in (("r1", "fm"), ("r2", "am"), ("r3", "dab")):
        put = httpx.put(
            f"{rules}/{rule_id}", json={"number": radio, "match": {"utm_source": source}}, headers=auth
        )
        assert put.status_code == 200, put.text
    first = httpx.get(rules, params={"limit": 2}, headers=auth).json()
    second = httpx.get(rules, params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth).json()
    assert [r["rule_id"] for r in first["items"] + second["items"]] == ["r1", "r2", "r3"]
    assert second["next_cursor"] is None
    assert httpx.get(f"{rules}/r2", headers=auth).json()["match"]["utm_source"] == "am"
    assert httpx.delete(f"{rules}/r2", headers=auth).status_code == 200
    assert httpx.get(f"{rules}/r2", headers=auth).status_code == 404
    _, stranger = admin.tenant()
    assert httpx.get(rules, headers=stranger).status_code == 404


def _visit(
    tenant_id: str, site: dict[str, object], visitor: str, url: str, session: SessionSnapshot
) -> VisitStarted:
    now = datetime.now(UTC)
    return VisitStarted(
        event_id=event_id_for("it-static-visit", uuid.uuid4()),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        site_id=str(site["site_id"]),
        payload=VisitStartedPayload(
            visit_id=uuid.uuid4().hex,
            visitor_id=visitor,
            pool_id=str(site["pool_id"]),
            page_url=url,
            session=session,
        ),
    )


def test_a_matching_visit_gets_the_static_number_and_a_page_view_renews_a_pool_lease(
    admin: Admin, kafka_bootstrap: str
) -> None:
    tenant_id, auth = admin.tenant()
    site = admin.site(auth)
    site_id, pool_id = str(site["site_id"]), str(site["pool_id"])
    [pool_number] = admin.add_numbers(auth, site_id, 1)
    radio = _static(admin, auth, "radio", site_id)
    rule = {"number": radio, "match": {"utm_source": "FM", "landing_path_prefix": "/radio"}, "priority": 5}
    assert (
        httpx.put(f"{admin.url}/v1/sites/{site_id}/static-rules/fm", json=rule, headers=auth).status_code
        == 200
    )
    seen: list[Envelope] = []
    follower = LogFollower(kafka_bootstrap, [LEASES, CONFIG_STATIC_RULES], seen.append)
    follower.start()
    producer = EventProducer(kafka_bootstrap, client_id="it-static")
    fm = SessionSnapshot(source="fm", medium="radio")
    matching = _visit(tenant_id, site, "listener", "https://shop.example/radio?utm_source=fm", fm)
    other = _visit(tenant_id, site, "reader", "https://shop.example/", SessionSnapshot(source="newsletter"))

    def of_pool(kind: type[Envelope]) -> list[Envelope]:
        return [e for e in seen if isinstance(e, kind) and getattr(e.payload, "pool_id", None) == pool_id]

    try:
        assert follower.caught_up.wait(30)
        producer.publish(VISITS, pool_id, matching)
        producer.publish(VISITS, pool_id, other, wait=True)
        wait_until(
            lambda: of_pool(StaticNumberAssigned) and of_pool(LeaseGranted), timeout=30, what="answers"
        )
        [static] = of_pool(StaticNumberAssigned)
        assert isinstance(static, StaticNumberAssigned)
        assert (static.payload.number, static.payload.channel, static.payload.rule_id) == (
            radio,
            "radio",
            "fm",
        )
        assert static.payload.visit_id == matching.payload.visit_id
        [granted] = of_pool(LeaseGranted)
        assert isinstance(granted, LeaseGranted)
        assert (granted.payload.visitor_id, granted.payload.number) == ("reader", pool_number)
        now = datetime.now(UTC)
        pages = SessionSnapshot(source="newsletter", pages_seen=("/", "/prices"))
        viewed = VisitPageViewed(
            event_id=event_id_for("it-page-view", uuid.uuid4()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            site_id=site_id,
            payload=VisitPageViewedPayload(
                visit_id=other.payload.visit_id,
                visitor_id="reader",
                pool_id=pool_id,
                page_url="https://shop.example/prices",
                session=pages,
            ),
        )
        revealed = NumberRevealed(
            event_id=event_id_for("it-reveal", uuid.uuid4()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            site_id=site_id,
            payload=NumberRevealedPayload(
                visit_id=other.payload.visit_id, visitor_id="reader", pool_id=pool_id, number=pool_number
            ),
        )
        # A click-to-reveal shares the visits topic: the allocator passes over it (no answer, no dead letter).
        producer.publish(VISITS, pool_id, revealed)
        producer.publish(VISITS, pool_id, viewed, wait=True)
        wait_until(lambda: of_pool(LeaseRenewed), timeout=30, what="the renewal after the page view")
        assert str(revealed.event_id).encode() not in _dead_letter_values(kafka_bootstrap)
        [renewed] = of_pool(LeaseRenewed)
        assert isinstance(renewed, LeaseRenewed)
        assert renewed.payload.session.pages_seen == ("/", "/prices")
        assert renewed.payload.active_at is not None and renewed.payload.active_at >= to_millis(now)
        configured = [e for e in seen if isinstance(e, StaticRuleConfigured) and e.site_id == site_id]
        assert [c.payload.rule_id for c in configured] == ["fm"]
    finally:
        follower.stop()
        producer.close()
