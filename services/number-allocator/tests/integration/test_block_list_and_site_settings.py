"""The block list and the site's recording and display settings through the admin API, on the real
broker: what the API answers and what it publishes on the config topics."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

from ctrack_common.events import CallerBlockConfigured, SiteConfigured
from ctrack_common.messaging import replay
from ctrack_common.topics import CONFIG_BLOCK_LIST, CONFIG_SITES

if TYPE_CHECKING:
    from conftest import Admin

SPAMMER = "+14158675399"


def block_events(bootstrap: str, tenant_id: str) -> list[CallerBlockConfigured]:
    return [
        e
        for e in replay(bootstrap, CONFIG_BLOCK_LIST)
        if isinstance(e, CallerBlockConfigured) and e.tenant_id == tenant_id
    ]


def site_events(bootstrap: str, site_id: str) -> list[SiteConfigured]:
    return [
        e for e in replay(bootstrap, CONFIG_SITES) if isinstance(e, SiteConfigured) and e.site_id == site_id
    ]


def test_a_blocked_caller_is_listed_published_and_unblocking_publishes_it_inactive(
    admin: Admin, kafka_bootstrap: str
) -> None:
    tenant_id, auth = admin.tenant()
    url = f"{admin.url}/v1/block-list/{quote(SPAMMER)}"
    blocked = httpx.put(url, json={"reason": "robocall"}, headers=auth)
    assert blocked.status_code == 200, blocked.text
    assert (blocked.json()["caller_number"], blocked.json()["reason"]) == (SPAMMER, "robocall")
    assert httpx.put(url, json={"reason": "robocall"}, headers=auth).status_code == 200  # no change: no event
    listed = httpx.get(f"{admin.url}/v1/block-list", headers=auth).json()
    assert [(e["caller_number"], e["reason"]) for e in listed["items"]] == [(SPAMMER, "robocall")]
    assert httpx.delete(url, headers=auth).status_code == 204
    assert httpx.get(f"{admin.url}/v1/block-list", headers=auth).json() == {"items": [], "next_cursor": None}
    gone = httpx.delete(url, headers=auth)
    assert gone.status_code == 404 and gone.json()["field"] == "caller_number"
    published = block_events(kafka_bootstrap, tenant_id)
    assert [(e.payload.caller_number, e.payload.active) for e in published] == [
        (SPAMMER, True),
        (SPAMMER, False),
    ]
    assert published[0].occurred_at < published[1].occurred_at


def test_the_block_list_is_paged_by_number_and_private_to_its_tenant(admin: Admin) -> None:
    _, auth = admin.tenant()
    _, other_auth = admin.tenant()
    callers = sorted(admin.numbers(3))
    for caller in callers:
        assert (
            httpx.put(f"{admin.url}/v1/block-list/{quote(caller)}", json={}, headers=auth).status_code == 200
        )
    first = httpx.get(f"{admin.url}/v1/block-list", params={"limit": 2}, headers=auth).json()
    assert [e["caller_number"] for e in first["items"]] == callers[:2] and first["next_cursor"]
    rest = httpx.get(
        f"{admin.url}/v1/block-list", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert [(e["caller_number"], e["reason"]) for e in rest["items"]] == [(callers[2], "spam")]
    assert rest["next_cursor"] is None
    assert httpx.get(f"{admin.url}/v1/block-list", headers=other_auth).json()["items"] == []
    assert (
        httpx.delete(f"{admin.url}/v1/block-list/{quote(callers[0])}", headers=other_auth).status_code == 404
    )


def test_bad_block_list_input_is_refused_naming_the_field(admin: Admin) -> None:
    _, auth = admin.tenant()
    for bad in ("4158675399", "+0123", "%2B1-415-867"):
        refused = httpx.put(f"{admin.url}/v1/block-list/{bad}", json={}, headers=auth)
        assert refused.status_code == 422, (bad, refused.text)
        assert {p["field"] for p in refused.json()["problems"]} == {"path.caller_number"}
    long_reason = httpx.put(
        f"{admin.url}/v1/block-list/{quote(SPAMMER)}", json={"reason": "x" * 201}, headers=auth
    )
    assert long_reason.status_code == 422
    assert {p["field"] for p in long_reason.json()["problems"]} == {"body.reason"}
    assert httpx.put(f"{admin.url}/v1/block-list/{quote(SPAMMER)}", json={}).status_code == 401


def test_a_site_is_created_with_recording_and_display_settings_that_can_be_changed(
    admin: Admin, kafka_bootstrap: str
) -> None:
    _, auth = admin.tenant()
    business, shown = admin.numbers(2)
    display = {"numbers_to_replace": [shown], "consent_required": True, "anti_flicker_ms": 400}
    created = httpx.post(
        f"{admin.url}/v1/sites",
        json={"name": "Shop", "business_number": business, "record_calls": True, "display": display},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    site = created.json()
    assert site["record_calls"] is True
    assert site["display"] == {**display, "click_to_reveal": False}
    changed = httpx.patch(
        f"{admin.url}/v1/sites/{site['site_id']}",
        json={"record_calls": False, "name": "Shop 2"},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["record_calls"], changed.json()["name"], changed.json()["display"]) == (
        False,
        "Shop 2",
        site["display"],
    )
    latest = site_events(kafka_bootstrap, site["site_id"])[-1]
    assert (latest.payload.record_calls, latest.payload.name) == (False, "Shop 2")
    assert latest.payload.display.numbers_to_replace == (shown,)
    assert latest.payload.display.anti_flicker_ms == 400


def test_bad_site_settings_are_refused_naming_the_field(admin: Admin) -> None:
    _, auth = admin.tenant()
    site = admin.site(auth)
    url = f"{admin.url}/v1/sites/{site['site_id']}"
    cases = [
        ({"display": {"anti_flicker_ms": 5000}}, "body.display.anti_flicker_ms"),
        ({"display": {"numbers_to_replace": ["555-0100"]}}, "body.display.numbers_to_replace.0"),
        ({"record_calls": "sometimes"}, "body.record_calls"),
    ]
    for body, field in cases:
        refused = httpx.patch(url, json=body, headers=auth)
        assert refused.status_code == 422, (body, refused.text)
        assert {p["field"] for p in refused.json()["problems"]} == {field}
    assert (
        httpx.patch(f"{admin.url}/v1/sites/site_nope", json={"record_calls": True}, headers=auth).status_code
        == 404
    )
