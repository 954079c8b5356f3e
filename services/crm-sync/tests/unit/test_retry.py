"""Which endpoint answers are retried, and how long the endpoint asked us to wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_sync.domain.retry import Verdict, classify, retry_after_seconds

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (202, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.PERMANENT),
        (400, Verdict.PERMANENT),
        (401, Verdict.PERMANENT),
        (404, Verdict.PERMANENT),
        (410, Verdict.PERMANENT),
        (408, Verdict.RETRY),
        (409, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_an_answer_is_delivered_retried_or_permanent(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Tue, 10 Jun 2025 12:00:30 GMT", 30.0),
        ("Tue, 10 Jun 2025 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
    ],
    ids=["seconds", "zero", "http date", "date in the past", "absent", "empty", "unreadable", "negative"],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds
