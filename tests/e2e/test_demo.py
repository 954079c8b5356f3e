"""`make run`'s demo: its traffic passes the tracker's bot filter, so its report shows calls by source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ctrack_stack.demo import DemoEndpoints, seed_demo
from ctrack_stack.testing import wait_until
from support.system import ADMIN_API_KEY, TWILIO_AUTH_TOKEN, System


def test_the_demo_seeds_calls_attributed_to_the_sources_of_its_visits(system: System, tmp_path: Path) -> None:
    endpoints = DemoEndpoints(
        tracker=system.tracker.url,
        allocator=system.allocator.url,
        ingest=system.ingest.url,
        admin_api_key=ADMIN_API_KEY,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
    )
    demo = seed_demo(endpoints, tmp_path / "demo.env")
    assert demo.call_id is not None, "no demo visitor was shown a number to call"
    today = datetime.now(UTC).date()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    def sources() -> set[str | None]:
        report = httpx.get(
            f"{system.attribution.url}/v1/reports/calls-by-source",
            params=span,
            headers={"Authorization": f"Bearer {demo.api_key}"},
            timeout=10,
        ).json()
        return {row["source"] for row in report["rows"] if row["calls"]}

    # Several campaigns call: a demo shown only default numbers (bots) would report no source at all.
    wait_until(
        lambda: len(sources() - {None}) >= 2, timeout=90, what="demo calls attributed to their sources"
    )
