"""Demo data for `ctrack up --demo`: a tenant, a site, a pool of numbers and a little traffic.

Everything goes through the public APIs, the way a customer would: the admin API creates the
tenant, the tracker API records visits, and calls arrive as Twilio webhooks signed with the
local stack's Twilio auth token. The tenant's key is written to `<data dir>/demo.env` so the
README's `curl` lines work as written; a second `--demo` run reuses the tenant.
"""

from __future__ import annotations

import html
import random
import re
import shlex
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

__all__ = ["DemoEndpoints", "DemoTenant", "seed_demo"]

ACCOUNT_SID = "AC" + "0" * 32
DEMO_BUSINESS_NUMBER = "+12025550100"
DEMO_POOL = [f"+1202555{n:04d}" for n in range(101, 141)]
DEMO_LEASE_SECONDS = 120  # the allocator's default: a few missed heartbeats, not half an hour
DEMO_DEFAULT_NUMBER = "+12025550199"
# The tracker answers bots, headless browsers and HTTP libraries with the default number: the demo's
# visitors are browsers, each from an address of its own (the tracker caps numbered visitors per address).
DEMO_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
CAMPAIGNS = [
    "utm_source=google&utm_medium=cpc&utm_campaign=winter-sale&utm_term=plumber&gclid=demo-gclid",
    "utm_source=facebook&utm_medium=paid-social&utm_campaign=retargeting&fbclid=demo-fbclid",
    "utm_source=newsletter&utm_medium=email&utm_campaign=november",
    "utm_source=yandex&utm_medium=cpc&utm_campaign=brand&yclid=demo-yclid",
    "",
]


@dataclass(frozen=True)
class DemoEndpoints:
    tracker: str
    allocator: str
    ingest: str
    admin_api_key: str
    twilio_auth_token: str


@dataclass(frozen=True)
class DemoTenant:
    api_key: str
    site_id: str
    site_key: str
    call_id: str | None

    def write(self, path: Path) -> None:
        values = {
            "CTRACK_API_KEY": self.api_key,
            "CTRACK_SITE_ID": self.site_id,
            "CTRACK_SITE_KEY": self.site_key,
            "CTRACK_DEMO_CALL_ID": self.call_id or "",
        }
        path.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items()))

    @classmethod
    def read(cls, path: Path) -> DemoTenant | None:
        if not path.exists():
            return None
        values = dict(
            line.removeprefix("export ").split("=", 1)
            for line in path.read_text().splitlines()
            if "=" in line
        )
        values = {k: shlex.split(v)[0] if v else "" for k, v in values.items()}
        return cls(
            values["CTRACK_API_KEY"],
            values["CTRACK_SITE_ID"],
            values["CTRACK_SITE_KEY"],
            values["CTRACK_DEMO_CALL_ID"],
        )


def _existing(endpoints: DemoEndpoints, saved: DemoTenant | None) -> bool:
    if saved is None:
        return False
    response = httpx.get(
        f"{endpoints.allocator}/v1/sites/{saved.site_id}",
        headers={"Authorization": f"Bearer {saved.api_key}"},
    )
    return response.status_code == 200


def _create_tenant(endpoints: DemoEndpoints) -> tuple[str, str, str]:
    admin = {"Authorization": f"Bearer {endpoints.admin_api_key}"}
    tenant = httpx.post(f"{endpoints.allocator}/v1/tenants", json={"name": "Demo Agency"}, headers=admin)
    tenant.raise_for_status()
    api_key = tenant.json()["api_key"]
    auth = {"Authorization": f"Bearer {api_key}"}
    site = httpx.post(
        f"{endpoints.allocator}/v1/sites",
        json={
            "name": "Demo Plumbing",
            "business_number": DEMO_BUSINESS_NUMBER,
            "domains": ["plumbing.example"],
        },
        headers=auth,
    )
    site.raise_for_status()
    site_id, site_key = site.json()["site_id"], site.json()["site_key"]
    for number, role in [*((n, "pool") for n in DEMO_POOL), (DEMO_DEFAULT_NUMBER, "default")]:
        added = httpx.post(
            f"{endpoints.allocator}/v1/numbers",
            json={
                "number": number,
                "provider": "twilio",
                "role": role,
                "site_id": site_id,
                "label": f"demo {role}",
            },
            headers=auth,
        )
        added.raise_for_status()
    pool = httpx.patch(
        f"{endpoints.allocator}/v1/sites/{site_id}/pool",
        json={"lease_seconds": DEMO_LEASE_SECONDS},
        headers=auth,
    )
    pool.raise_for_status()
    return api_key, site_id, site_key


def _signed_post(endpoints: DemoEndpoints, path: str, form: dict[str, str]) -> httpx.Response:
    url = f"{endpoints.ingest}{path}"
    signature = RequestValidator(endpoints.twilio_auth_token).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature})


def _simulate_traffic(endpoints: DemoEndpoints, site_key: str, visits: int, rng: random.Random) -> str | None:
    """Visits from several campaigns; about a third of the visitors call the number they were shown."""
    last_call: str | None = None
    for _ in range(visits):
        query = rng.choice(CAMPAIGNS)
        address = f"127.{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=15) as browser:
            shown = browser.post(
                f"{endpoints.tracker}/v1/visits",
                json={
                    "site_key": site_key,
                    "visitor_id": f"demo-{uuid.uuid4().hex[:12]}",
                    "url": f"https://plumbing.example/{'?' + query if query else ''}",
                    "referrer": "https://www.google.com/" if not query else None,
                    "user_agent": DEMO_USER_AGENT,
                },
                headers={"User-Agent": DEMO_USER_AGENT},
            )
        number = shown.json().get("number") if shown.status_code in (200, 202) else None
        if number is None or rng.random() > 0.35:
            continue
        call_sid = "CA" + uuid.uuid4().hex
        caller = f"+1415555{rng.randrange(1000, 9999)}"
        answer = _signed_post(
            endpoints,
            "/v1/telephony/twilio/voice",
            {
                "CallSid": call_sid,
                "AccountSid": ACCOUNT_SID,
                "From": caller,
                "To": number,
                "CallStatus": "ringing",
                "Direction": "inbound",
            },
        )
        if answer.status_code != 200:
            continue
        # Twilio calls the status callback URL our TwiML answer gave it (it carries the call's start).
        status_url = re.search(r'statusCallback="([^"]+)"', answer.text)
        if status_url is None:
            continue
        answered = rng.random() < 0.8
        _signed_post(
            endpoints,
            html.unescape(status_url.group(1)).removeprefix(endpoints.ingest),
            {
                "CallSid": call_sid,
                "AccountSid": ACCOUNT_SID,
                "From": caller,
                "To": number,
                "CallStatus": "completed" if answered else "no-answer",
                "CallDuration": str(rng.randrange(20, 400) if answered else 0),
                "Timestamp": format_datetime(datetime.now(UTC)),
                "SequenceNumber": "1",
            },
        )
        last_call = f"twilio:{call_sid}"
    return last_call


def seed_demo(endpoints: DemoEndpoints, env_file: Path, visits: int = 30, seed: int = 7) -> DemoTenant:
    """Create (or reuse) the demo tenant, add some traffic, and write `env_file`."""
    saved = DemoTenant.read(env_file)
    if _existing(endpoints, saved):
        assert saved is not None
        api_key, site_id, site_key = saved.api_key, saved.site_id, saved.site_key
    else:
        api_key, site_id, site_key = _create_tenant(endpoints)
    call_id = _simulate_traffic(endpoints, site_key, visits, random.Random(seed))
    tenant = DemoTenant(api_key, site_id, site_key, call_id or (saved.call_id if saved else None))
    tenant.write(env_file)
    return tenant
