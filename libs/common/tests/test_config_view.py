"""The configuration read model: latest event per entity wins; lookups respect tenants."""

from datetime import UTC, datetime

from ctrack_common.config_view import ConfigView, api_key_digest
from ctrack_common.events import (
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    SiteConfigured,
    SiteConfiguredPayload,
    TenantConfigured,
    TenantConfiguredPayload,
    event_id_for,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def tenant(tenant_id: str, *keys: str, active: bool = True) -> TenantConfigured:
    return TenantConfigured(
        event_id=event_id_for(tenant_id, *keys, active),
        occurred_at=NOW,
        recorded_at=NOW,
        tenant_id=tenant_id,
        payload=TenantConfiguredPayload(
            name=tenant_id, api_key_sha256=tuple(api_key_digest(k) for k in keys), active=active
        ),
    )


def site(tenant_id: str, site_id: str) -> SiteConfigured:
    return SiteConfigured(
        event_id=event_id_for(site_id),
        occurred_at=NOW,
        recorded_at=NOW,
        tenant_id=tenant_id,
        site_id=site_id,
        payload=SiteConfiguredPayload(
            name=site_id, site_key=f"pk_{site_id}", business_number="+14155550100", pool_id=f"pool-{site_id}"
        ),
    )


def test_an_api_key_resolves_to_its_tenant() -> None:
    view = ConfigView()
    view.apply(tenant("acme", "key-a"))
    assert view.tenant_for_api_key("key-a") == "acme"
    assert view.tenant_for_api_key("key-b") is None


def test_a_rotated_out_key_stops_working() -> None:
    view = ConfigView()
    view.apply(tenant("acme", "old"))
    view.apply(tenant("acme", "new"))
    assert view.tenant_for_api_key("old") is None
    assert view.tenant_for_api_key("new") == "acme"


def test_a_deactivated_tenant_cannot_authenticate() -> None:
    view = ConfigView()
    view.apply(tenant("acme", "key-a"))
    view.apply(tenant("acme", "key-a", active=False))
    assert view.tenant_for_api_key("key-a") is None


def test_a_site_is_invisible_to_other_tenants() -> None:
    view = ConfigView()
    view.apply(site("acme", "s1"))
    assert view.site("acme", "s1") is not None
    assert view.site("globex", "s1") is None
    assert view.site_by_key("pk_s1") is not None


def test_pool_numbers_are_the_active_pool_role_numbers_of_that_pool() -> None:
    view = ConfigView()
    for number, role, active in [
        ("+14155550101", NumberRole.POOL, True),
        ("+14155550102", NumberRole.POOL, False),
        ("+14155550103", NumberRole.DEFAULT, True),
    ]:
        view.apply(
            NumberConfigured(
                event_id=event_id_for(number, active),
                occurred_at=NOW,
                recorded_at=NOW,
                tenant_id="acme",
                payload=NumberConfiguredPayload(
                    number=number, provider="twilio", role=role, pool_id="p1", active=active
                ),
            )
        )
    assert view.pool_numbers("p1") == ["+14155550101"]
    assert view.number("+14155550102") is None
