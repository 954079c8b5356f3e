"""How numbers are shown, in real Chromium against an intercepted tracker API: anti-flicker hiding,
click-to-reveal masking and the reveal event, and consent before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

if TYPE_CHECKING:
    from conftest import Wire

MARKUP = "<p id=n>Call <b id=num>(202) 555-0123</b></p><a id=tel href='tel:+12025550123'>call</a><p id=other>Open 9-5</p>"


def test_anti_flicker_hides_the_numbers_until_they_are_swapped(wire: Wire) -> None:
    api = wire.api(hold=True)
    page = wire.open(api, "/", wire.page_html(MARKUP, numbers="+12025550123", anti_flicker="10000"))
    wire.until(lambda: bool(api.held), what="the visit")
    expect(page.locator("#num")).to_be_hidden()
    expect(page.locator("#tel")).to_be_hidden()
    expect(page.locator("#other")).to_be_visible()
    api.answer(api.held.pop())
    expect(page.locator("#num")).to_be_visible()
    expect(page.locator("#num")).to_have_text("(202) 555-0199")
    expect(page.locator("#tel")).to_be_visible()


def test_anti_flicker_shows_the_numbers_after_its_timeout_without_an_answer(wire: Wire) -> None:
    api = wire.api(hold=True)
    page = wire.open(api, "/", wire.page_html(MARKUP, numbers="+12025550123", anti_flicker="3000"))
    wire.until(lambda: bool(api.held), what="the visit")
    expect(page.locator("#num")).to_be_hidden()
    expect(page.locator("#num")).to_be_visible(timeout=10_000)
    expect(page.locator("#num")).to_have_text("(202) 555-0123")


def test_anti_flicker_never_leaves_numbers_hidden_after_an_error(wire: Wire) -> None:
    api = wire.api(status=503)
    page = wire.open(api, "/", wire.page_html(MARKUP, numbers="+12025550123", anti_flicker="60000"))
    expect(page.locator("#num")).to_be_visible()
    expect(page.locator("#num")).to_have_text("(202) 555-0123")


def test_the_servers_anti_flicker_setting_hides_numbers_on_the_next_page(wire: Wire) -> None:
    api = wire.api(extra={"anti_flicker_ms": 10000})
    first = wire.open(api, "/a", wire.page_html(MARKUP))
    expect(first.locator("#num")).to_have_text("(202) 555-0199")
    api.hold = True
    second = wire.open(api, "/b", wire.page_html(MARKUP))
    wire.until(lambda: bool(api.held), what="the second visit")
    expect(second.locator("#num")).to_be_hidden()
    api.answer(api.held.pop())
    expect(second.locator("#num")).to_have_text("(202) 555-0199")
    expect(second.locator("#num")).to_be_visible()


def test_click_to_reveal_masks_the_number_and_the_click_reveals_it_and_is_recorded(wire: Wire) -> None:
    api = wire.api(extra={"click_to_reveal": True})
    page = wire.open(api, "/", wire.page_html(MARKUP, reveal_label="показать"))
    expect(page.locator("#num")).to_have_text("(202) 555-0…показать")
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550123")
    assert api.bodies("/v1/reveal") == []
    page.get_by_role("button", name="показать").click()
    expect(page.locator("#num")).to_have_text("(202) 555-0199")
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550199")
    wire.until(lambda: bool(api.bodies("/v1/reveal")), what="the reveal event")
    (visit,) = api.bodies("/v1/visits")
    assert api.bodies("/v1/reveal") == [
        {
            "site_key": "pk_test",
            "visitor_id": visit["visitor_id"],
            "visit_id": visit["visit_id"],
            "session_id": visit["session_id"],
            "number": "+12025550199",
        }
    ]


def test_a_masked_tel_link_reveals_instead_of_dialling_the_business(wire: Wire) -> None:
    api = wire.api()
    page = wire.open(api, "/", wire.page_html(MARKUP, click_to_reveal=""))
    expect(page.locator("#num")).to_have_text("(202) 555-0…show")
    page.locator("#tel").click()
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550199")
    expect(page.locator("#num")).to_have_text("(202) 555-0199")
    wire.until(lambda: bool(api.bodies("/v1/reveal")), what="the reveal event")


def test_with_consent_required_nothing_is_sent_until_consent(wire: Wire) -> None:
    api = wire.api()
    page = wire.open(api, "/", wire.page_html(MARKUP, consent_required=""))
    page.wait_for_function("() => window.ctrack && window.ctrack.swap")
    expect(page.locator("#num")).to_have_text("(202) 555-0123")
    assert api.sent == [] and page.evaluate("localStorage.ctrack_vid") is None
    page.evaluate("ctrack('consent', true)")
    expect(page.locator("#num")).to_have_text("(202) 555-0199")
    assert api.paths() == ["/v1/visits"] and api.sent[0][1]["consent"] is True
    second = wire.open(api, "/next", wire.page_html(MARKUP, consent_required=""))
    expect(second.locator("#num")).to_have_text("(202) 555-0199")
    assert api.bodies("/v1/visits")[1]["consent"] is True, "consent is remembered"


def test_when_the_server_requires_consent_the_script_stops_and_forgets_until_consent(wire: Wire) -> None:
    refused = {"status": "default", "kind": "default", "reason": "consent_required"}
    api = wire.api(number=lambda _: "+12025550123", extra={**refused, "heartbeat_seconds": 0.2})
    page = wire.open(api, "/", wire.page_html(MARKUP))
    wire.until(lambda: bool(api.sent), what="the first visit")
    page.wait_for_function("() => localStorage.ctrack_vid === undefined")
    second = wire.open(api, "/next", wire.page_html(MARKUP))
    second.wait_for_function("() => window.ctrack && window.ctrack.swap")
    assert api.paths() == ["/v1/visits"], "no heartbeat, and the next page waits for consent"
    api.extra, api.number = {}, lambda _: "+12025550199"
    second.evaluate("ctrack('consent', true)")
    expect(second.locator("#num")).to_have_text("(202) 555-0199")
    first, granted = api.bodies("/v1/visits")
    assert (first["consent"], granted["consent"]) == (False, True)
    assert first["visitor_id"] != granted["visitor_id"], "the refused visitor id was forgotten"


def test_withdrawn_consent_stops_heartbeats_and_forgets_the_visitor(wire: Wire) -> None:
    api = wire.api(extra={"heartbeat_seconds": 0.2})
    page = wire.open(api, "/", wire.page_html(MARKUP))
    wire.until(lambda: bool(api.bodies("/v1/heartbeat")), what="a heartbeat")
    page.evaluate("ctrack.consent(false)")
    sent = len(api.sent)
    assert page.evaluate("[localStorage.ctrack_vid, localStorage.ctrack_ses]") == [None, None]
    page.wait_for_timeout(600)  # three heartbeat periods in which nothing may be sent
    assert len(api.sent) == sent
