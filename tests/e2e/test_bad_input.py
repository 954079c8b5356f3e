"""Bad input gets a 4xx that names what was wrong, and produces nothing."""

from __future__ import annotations

import httpx

from support.system import System, Tenant


def problem_fields(response: httpx.Response) -> set[str]:
    return {p["field"].rsplit(".", 1)[-1] for p in response.json()["problems"]}


def test_a_visit_without_a_visitor_id_is_refused_naming_the_field(system: System, tenant: Tenant) -> None:
    response = httpx.post(
        f"{system.tracker.url}/v1/visits", json={"site_key": tenant.site_key, "url": "https://shop.example/"}
    )
    assert response.status_code == 422
    assert "visitor_id" in problem_fields(response)


def test_a_visit_that_is_not_json_is_refused(system: System) -> None:
    response = httpx.post(
        f"{system.tracker.url}/v1/visits", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "json" in response.json()["error"].lower()


def test_a_visit_for_an_unknown_site_key_is_refused_naming_it(system: System) -> None:
    response = httpx.post(
        f"{system.tracker.url}/v1/visits",
        json={"site_key": "pk_nope", "visitor_id": "v", "url": "https://shop.example/"},
    )
    assert response.status_code == 404
    assert "site_key" in response.text


def test_a_number_that_is_not_e164_is_refused_naming_the_field(system: System, tenant: Tenant) -> None:
    response = httpx.post(
        f"{system.allocator.url}/v1/numbers",
        json={"number": "555-0100", "provider": "twilio", "role": "pool", "site_id": tenant.site_id},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    assert "number" in problem_fields(response)


def test_a_report_with_an_impossible_date_is_refused_naming_the_parameter(
    system: System, tenant: Tenant
) -> None:
    response = httpx.get(
        f"{system.attribution.url}/v1/reports/calls-by-source",
        params={"from": "2026-13-01", "to": "2026-01-02"},
        headers=tenant.auth,
    )
    assert response.status_code == 422
    assert "from" in problem_fields(response)
