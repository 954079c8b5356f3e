"""Where a call goes is decided from configuration alone."""

from __future__ import annotations

from typing import Any

import pytest

from call_ingest.domain.routing import (
    CallOwner,
    Forward,
    NotOurs,
    RecordAndReject,
    Route,
    owner_of,
    route_call,
)
from ctrack_common.config_view import ConfigView


def route(config: ConfigView, called: str) -> Route:
    return route_call(config.numbers.get(called), config.sites, config.pools)


@pytest.mark.parametrize(
    ("called", "retired"),
    [("pool_number", False), ("retired_number", True), ("default_number", False)],
)
def test_a_number_of_a_site_rings_its_business_number(
    config: ConfigView, sample: Any, called: str, retired: bool
) -> None:
    expected = Forward(CallOwner(sample.tenant, sample.site), sample.business, retired_number=retired)
    assert route(config, getattr(sample, called)) == expected


def test_a_number_whose_pool_has_no_site_is_recorded_for_its_tenant_and_refused(
    config: ConfigView, sample: Any
) -> None:
    decided = route(config, sample.orphan_number)
    assert isinstance(decided, RecordAndReject)
    assert decided.owner == CallOwner(sample.tenant, None)


def test_a_number_in_nobodys_inventory_is_not_ours(config: ConfigView, sample: Any) -> None:
    assert isinstance(route(config, sample.unknown_number), NotOurs)


def test_a_retired_number_still_has_an_owner_for_status_callbacks(config: ConfigView, sample: Any) -> None:
    owner = owner_of(config.numbers[sample.retired_number], config.sites, config.pools)
    assert owner == CallOwner(sample.tenant, sample.site)
