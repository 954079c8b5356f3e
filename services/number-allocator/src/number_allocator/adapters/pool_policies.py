"""The pool policy as the allocator applies it: the pool's settings from the config read model, with
the service defaults for settings a pool leaves unset, and the quarantine of each pool number."""

from __future__ import annotations

from dataclasses import dataclass

from ctrack_common.config_view import ConfigView
from number_allocator.domain import PoolPolicy

__all__ = ["PolicyDefaults", "policy_of"]


@dataclass(frozen=True)
class PolicyDefaults:
    """Service-wide defaults (seconds) for pools that do not set their own."""

    hold_seconds: int = 420
    display_delay_seconds: int = 0
    idle_reclaim_seconds: int = 3600


def policy_of(config: ConfigView, pool_id: str, defaults: PolicyDefaults) -> PoolPolicy | None:
    """The policy of `pool_id`, or None for a pool the config does not know."""
    pool = config.pools.get(pool_id)
    if pool is None:
        return None
    p = pool.payload
    numbers = tuple(config.pool_numbers(pool_id))
    quarantined = {}
    for number in numbers:
        configured = config.numbers.get(number)
        if configured is not None and configured.payload.available_from is not None:
            quarantined[number] = configured.payload.available_from
    return PoolPolicy(
        numbers=numbers,
        lease_seconds=p.lease_seconds,
        default_number=p.default_number,
        hold_seconds=p.hold_seconds if p.hold_seconds is not None else defaults.hold_seconds,
        display_delay_seconds=(
            p.display_delay_seconds if p.display_delay_seconds is not None else defaults.display_delay_seconds
        ),
        idle_reclaim_seconds=(
            p.idle_reclaim_seconds if p.idle_reclaim_seconds is not None else defaults.idle_reclaim_seconds
        ),
        overflow_number=p.overflow_number,
        default_before_display_number=p.default_before_display_number,
        default_after_reclaim_number=p.default_after_reclaim_number,
        available_from=quarantined,
    )
