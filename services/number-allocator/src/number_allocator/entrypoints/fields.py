"""Request field types shared by the routers: phone numbers checked with `phonenumbers`."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

__all__ = ["PhoneNumber"]


def _valid_phone_number(value: str) -> str:
    """Accept only E.164 numbers that exist in the numbering plan (the regex alone lets impossible ones in)."""
    if not value.startswith("+"):
        raise ValueError(f"{value!r} is not in E.164 form (it must start with '+' and the country code)")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"{value!r} has an impossible length for its country")
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{value!r} is not a valid number in its country's numbering plan")
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value:
        raise ValueError(f"{value!r} is not in E.164 form; send {formatted!r}")
    return value


PhoneNumber = Annotated[
    str, Field(min_length=2, max_length=16, examples=["+14155550100"]), AfterValidator(_valid_phone_number)
]
