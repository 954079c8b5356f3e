"""Reading --what-if: the pool-policy settings to change, each error naming the setting."""

from __future__ import annotations

import pytest

from attribution.replay.what_if import InvalidWhatIf, parse_overrides


def test_every_setting_is_read_with_durations_in_seconds() -> None:
    assert parse_overrides("hold=120,quarantine=7d,delay=50s,reclaim=1h,pool-size=30") == {
        "hold": 120.0,
        "quarantine": 7 * 86400.0,
        "delay": 50.0,
        "reclaim": 3600.0,
        "pool-size": 30,
    }


def test_spaces_and_case_do_not_matter() -> None:
    assert parse_overrides(" Hold = 2m , POOL-SIZE=5 ") == {"hold": 120.0, "pool-size": 5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hold=soon", "what-if hold: 'soon' is not a duration"),
        ("pool-size=0", "what-if pool-size: '0' is not a whole number"),
        ("pool-size=2.5", "what-if pool-size"),
        ("lease=60", "what-if lease: unknown setting"),
        ("hold", "'hold' is not name=value"),
        ("hold=1,hold=2", "what-if hold: given twice"),
        ("", "name at least one setting"),
    ],
)
def test_an_unusable_setting_is_named(text: str, message: str) -> None:
    with pytest.raises(InvalidWhatIf, match=message):
        parse_overrides(text)
