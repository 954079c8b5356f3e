"""The admin API against the real broker: tenants, sites, pools, numbers, isolation and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from ctrack_common.events import Envelope, PoolConfigured
from ctrack_common.messaging import LogFollower
from ctrack_common.topics import CONFIG_POOLS
from ctrack_stack.testing import ServiceProcess, wait_until

if TYPE_CHECKING:
    from conftest import Admin


def test_creating_a_tenant_needs_the_platform_admin_key(allocator: ServiceProcess) -> None:
    url = f"{allocator.url}/v1/tenants"
    assert httpx.post(url, json={"name": "x"}).status_code == 401
    assert httpx.post(url, json={"name": "x"}, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_new_tenant_key_works_at_once_and_a_rotated_key_works_alongside_until_revoked(admin: Admin) -> None:
    tenant_id, auth = admin.tenant()
    assert httpx.get(f"{admin.url}/v1/sites", headers=auth).json() == {"items": [], "next_cursor": None}
    admin_auth = admin.admin_auth
    rotated = httpx.post(f"{admin.url}/v1/tenants/{tenant_id}/api-keys", headers=admin_auth)
    assert rotated.status_code == 201, rotated.text
    new_auth = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
    assert httpx.get(f"{admin.url}/v1/sites", headers=new_auth).status_code == 200
    assert httpx.get(f"{admin.url}/v1/sites", headers=auth).status_code == 200
    revoked = httpx.delete(
        f"{admin.url}/v1/tenants/{tenant_id}/api-keys/{rotated.json()['key_id']}", headers=admin_auth
    )
    assert revoked.status_code == 204
    assert httpx.get(f"{admin.url}/v1/sites", headers=new_auth).status_code == 401


POOL_DEFAULTS = {
    "default_number": None,
    "hold_seconds": 420,
    "quarantine_seconds": 7 * 24 * 3600,
    "display_delay_seconds": 0,
    "idle_reclaim_seconds": 3600,
    "default_before_display_number": None,
    "default_after_reclaim_number": None,
    "overflow_number": None,
}


def test_a_site_comes_with_a_pool_whose_settings_can_be_changed(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    assert site["pool"] == {"pool_id": site["pool_id"], "lease_seconds": 30, **POOL_DEFAULTS}
    [default] = admin.numbers(1)
    changed = httpx.patch(
        f"{admin.url}/v1/sites/{site['site_id']}/pool",
        json={"lease_seconds": 90, "default_number": default},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert httpx.get(f"{admin.url}/v1/sites/{site['site_id']}", headers=auth).json()["pool"] == {
        **POOL_DEFAULTS,
        "pool_id": site["pool_id"],
        "lease_seconds": 90,
        "default_number": default,
    }


def test_the_pool_policy_timers_are_set_in_seconds_and_published_on_the_config_topic(
    admin: Admin, kafka_bootstrap: str
) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    timers = {
        "hold_seconds": 5,
        "quarantine_seconds": 0,
        "display_delay_seconds": 50,
        "idle_reclaim_seconds": 60,
    }
    changed = httpx.patch(f"{admin.url}/v1/sites/{site['site_id']}/pool", json=timers, headers=auth)
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()[k] for k in timers} == timers
    seen: list[Envelope] = []
    follower = LogFollower(kafka_bootstrap, [CONFIG_POOLS], seen.append)
    follower.start()
    try:
        wait_until(
            lambda: any(
                isinstance(e, PoolConfigured)
                and e.payload.pool_id == site["pool_id"]
                and e.payload.display_delay_seconds == 50
                for e in list(seen)
            ),
            timeout=30,
            what="the pool's new timers on the config topic",
        )
    finally:
        follower.stop()
    [published] = [e for e in seen if isinstance(e, PoolConfigured) and e.payload.display_delay_seconds == 50]
    assert isinstance(published, PoolConfigured)
    assert (published.payload.hold_seconds, published.payload.idle_reclaim_seconds) == (5, 60)


def test_a_negative_pool_timer_is_refused_naming_the_field(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    refused = httpx.patch(
        f"{admin.url}/v1/sites/{site['site_id']}/pool", json={"hold_seconds": -1}, headers=auth
    )
    assert refused.status_code == 422
    assert "hold_seconds" in refused.text


def test_the_default_and_overflow_numbers_are_numbers_with_their_role(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    roles = ("default", "default-before-display", "default-after-reclaim", "overflow")
    numbers = admin.numbers(len(roles))
    for number, role in zip(numbers, roles, strict=True):
        added = httpx.post(
            f"{admin.url}/v1/numbers",
            json={"number": number, "provider": "twilio", "role": role, "site_id": site["site_id"]},
            headers=auth,
        )
        assert added.status_code == 201, added.text
    pool = httpx.get(f"{admin.url}/v1/sites/{site['site_id']}", headers=auth).json()["pool"]
    assert (
        pool["default_number"],
        pool["default_before_display_number"],
        pool["default_after_reclaim_number"],
        pool["overflow_number"],
    ) == tuple(numbers)
    assert httpx.delete(f"{admin.url}/v1/numbers/{numbers[3]}", headers=auth).status_code == 200
    pool = httpx.get(f"{admin.url}/v1/sites/{site['site_id']}", headers=auth).json()["pool"]
    assert pool["overflow_number"] is None and pool["default_number"] == numbers[0]


def test_a_number_moved_to_another_site_sits_in_quarantine_there(admin: Admin) -> None:
    _, auth = admin.tenant()
    first, second = admin.site(auth), admin.site(auth)
    [number] = admin.add_numbers(auth, str(first["site_id"]), 1)
    moved = httpx.post(
        f"{admin.url}/v1/numbers",
        json={"number": number, "provider": "twilio", "role": "pool", "site_id": second["site_id"]},
        headers=auth,
    )
    assert moved.status_code == 201, moved.text
    available_from = datetime.fromisoformat(moved.json()["available_from"])
    assert available_from - datetime.now(UTC) > timedelta(days=6, hours=23)


def test_numbers_are_listed_page_by_page_and_a_retired_number_is_inactive(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    numbers = sorted(admin.add_numbers(auth, str(site["site_id"]), 3))
    first = httpx.get(f"{admin.url}/v1/numbers", params={"limit": 2}, headers=auth).json()
    assert [n["number"] for n in first["items"]] == numbers[:2]
    second = httpx.get(
        f"{admin.url}/v1/numbers", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert ([n["number"] for n in second["items"]], second["next_cursor"]) == (numbers[2:], None)
    retired = httpx.delete(f"{admin.url}/v1/numbers/{numbers[0]}", headers=auth)
    assert retired.status_code == 200 and retired.json()["active"] is False


def test_a_tenant_gets_404_for_another_tenants_site_and_409_for_its_number(admin: Admin) -> None:
    _, owner = admin.tenant()
    _, other = admin.tenant()
    site, other_site = admin.site(owner), admin.site(other)
    [number] = admin.add_numbers(owner, str(site["site_id"]), 1)
    assert httpx.get(f"{admin.url}/v1/sites/{site['site_id']}", headers=other).status_code == 404
    assert (
        httpx.patch(f"{admin.url}/v1/sites/{site['site_id']}/pool", json={}, headers=other).status_code == 404
    )
    taken = httpx.post(
        f"{admin.url}/v1/numbers",
        json={"number": number, "provider": "twilio", "role": "pool", "site_id": other_site["site_id"]},
        headers=other,
    )
    assert taken.status_code == 409 and taken.json()["field"] == "number"
    assert httpx.delete(f"{admin.url}/v1/numbers/{number}", headers=other).status_code == 404


def test_an_impossible_number_is_refused_naming_the_field(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    for bad in ("555-0100", "+1415555", "+19995550100"):
        refused = httpx.post(
            f"{admin.url}/v1/numbers",
            json={"number": bad, "provider": "twilio", "role": "pool", "site_id": site["site_id"]},
            headers=auth,
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert {p["field"] for p in refused.json()["problems"]} == {"body.number"}
